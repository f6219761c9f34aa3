-- master_fixture.lua - what `master --report/--manifest/--tag/--isrc` does,
-- through the same module calls (report, metadata, manifest), for
-- tests/cli/test_report.sh:
--
--   mixdown run master_fixture.lua IN.wav OUT.wav OUT.flac REPORT.html MANIFEST.json HASHES.txt [TWO.html]
--
-- TWO.html (optional): a page with both deliveries (WAV and FLAC), as for
-- several platforms.
-- It also writes HASHES.txt: "<sha256>  <file>" for files of awkward lengths
-- (FIPS 180-4 padding edges), made here, for comparison with sha256sum.
local md = require "mixdown"
local fs = require "mixdown.fs"
local report = require "mixdown.report"
local manifest = require "mixdown.manifest"
local meta = require "mixdown.metadata"

local input, out_wav, out_flac, html, json, hashes, two = table.unpack(arg)
assert(hashes, "usage: master_fixture.lua IN OUT.wav OUT.flac REPORT.html MANIFEST.json HASHES.txt")

-- tags given on the command line: --tag album=Override --isrc GB-AAA-25-00001
local extra = {tags = {}}
local k, v = meta.parse_tag("album=Override")
extra.tags[k] = v
extra.isrc = meta.parse_isrc("GB-AAA-25-00001")

local before = report.measure(input)

local g = md.graph()
local src = g:file(input)
local hp = src:highpass{freq = 30}
local comp = hp:compressor{threshold = -30, ratio = 4, attack = 5, release = 150}
local gain = comp:gain{db = 22}
local lim = gain:limiter{ceiling = -1, true_peak = true}
local rec = report.gr_recorder({comp, lim})
lim:write(out_wav, meta.write_options(input, extra, {bits = 24}))
lim:write(out_flac, meta.write_options(input, extra, {bits = 16}))
g:run{every = rec.every, on_block = rec.on_block, progress = false}

local after = report.measure(out_wav)
assert(meta.finish(out_wav, after.result) == true, "the WAV has a bext chunk")
local after_flac = report.measure(out_flac)
assert(meta.finish(out_flac, after_flac.result) == false, "FLAC has none")

report.master_report{
  path = html, input = input, output = out_wav, before = before, after = after,
  chain = {hp, comp, gain, lim}, gr = rec, preset = "fixture",
  params = {threshold = -30, ratio = 4}, targets = {target = -14, ceiling = -1, platform = "spotify"},
  render = {bits = 24, dither = "tpdf", seed = 1},
}

if two then
  report.write(two, {
    before = before, input = input, gr = rec, chain = {hp, comp, gain, lim}, preset = "fixture",
    deliveries = {
      {output = out_wav, after = after, targets = {target = -14, ceiling = -1, platform = "spotify"}},
      {output = out_flac, after = after_flac, targets = {target = -14, ceiling = -1, platform = "apple"}},
    },
  })
end

manifest.write(json, {
  command = {"master", input, "-o", out_wav, "--report", html, "--manifest", json},
  recipe = {name = "fixture", path = arg[0]},
  params = {threshold = -30, ratio = 4},
  targets = {target = -14, ceiling = -1, platform = "spotify"},
  render = {bits = 24, dither = "tpdf", seed = 1, format = "wav"},
  chain = {hp, comp, gain, lim},
  inputs = {{path = input, result = before.result}},
  outputs = {{path = out_wav, result = after.result, gain_db = 22, passes = 1}},
})

-- hashes of awkward lengths
local dir = hashes:match("^(.*)/[^/]*$") or "."
local lines = {}
local seed = 7
for _, n in ipairs{0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 1000003} do
  local name = string.format("%s/h%d.bin", dir, n)
  local f = assert(io.open(name, "wb"))
  local parts = {}
  for i = 1, n do
    seed = (seed * 1103515245 + 12345) % 2147483648
    parts[#parts + 1] = string.char(seed % 256)
    if #parts == 4096 or i == n then f:write(table.concat(parts)); parts = {} end
  end
  f:close()
  lines[#lines + 1] = assert(fs.hash(name)) .. "  " .. name
end
lines[#lines + 1] = fs.hash_string("abc") .. "  abc"
lines[#lines + 1] = fs.hash_string("") .. "  empty"
local f = assert(io.open(hashes, "w"))
f:write(table.concat(lines, "\n"), "\n")
f:close()
print("fixture done")
