-- How the REPL prints things: measurement tables (the rows of `mixdown
-- analyze`), side-by-side comparisons, audio files, chains and plain tables.
local core = require "mixdown.core"
local rec = require "mixdown.repl_record"

local S = {}

-- the rows of `mixdown analyze` (cmd_analyze.c): key, label, decimals, unit
S.rows = {
  {"integrated_lufs", "integrated loudness", 2, "LUFS"},
  {"loudness_range_lu", "loudness range", 2, "LU"},
  {"max_momentary_lufs", "max momentary", 2, "LUFS"},
  {"max_short_term_lufs", "max short-term", 2, "LUFS"},
  {"true_peak_dbtp", "true peak", 2, "dBTP"},
  {"sample_peak_dbfs", "sample peak", 2, "dBFS"},
  {"rms_dbfs", "rms", 2, "dBFS"},
  {"crest_db", "crest", 2, "dB"},
  {"dc_offset", "dc offset", 6, ""},
  {"clipped_samples", "clipped samples", 0, ""},
  {"nonfinite_samples", "non-finite samples", 0, ""},
  {"correlation", "correlation", 3, ""},
  {"balance_db", "balance (L-R)", 2, "dB"},
}

local function num(v, decimals)
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then return "n/a" end
  if math.abs(v) < 0.5 * 10 ^ -decimals then v = 0 end -- no "-0.00"
  return string.format("%." .. decimals .. "f", v)
end

local function with_unit(s, unit)
  if s == "n/a" or unit == "" then return s end
  return s .. " " .. unit
end

local function format_line(r)
  local parts = {}
  if r.format then parts[#parts + 1] = r.format .. (r.subtype and (", " .. r.subtype) or "") end
  if r.sample_rate then parts[#parts + 1] = string.format("%d Hz", math.floor(r.sample_rate + 0.5)) end
  if r.channels then
    parts[#parts + 1] = string.format("%d channel%s", r.channels, r.channels == 1 and "" or "s")
  end
  if r.duration_s then parts[#parts + 1] = string.format("%.3f s", r.duration_s) end
  return table.concat(parts, ", ")
end

--- The measurements as `mixdown analyze` prints them.
function S.analysis(r)
  local out = {r.file or r.title or "(measurements)"}
  out[#out + 1] = string.format("  %-20s %s", "format", format_line(r))
  for _, row in ipairs(S.rows) do
    local key, label, dec, unit = row[1], row[2], row[3], row[4]
    local s = num(r[key], dec)
    if s == "n/a" then
      out[#out + 1] = string.format("  %-20s %12s", label, s)
    else
      out[#out + 1] = string.format("  %-20s %12s%s", label, s, unit ~= "" and (" " .. unit) or "")
    end
  end
  return table.concat(out, "\n")
end

local DIFF_UNIT = {LUFS = "LU", dBTP = "dB", dBFS = "dB", dB = "dB", LU = "LU"}

--- A side-by-side table of two sets of measurements and their difference
--- (b - a); also returns the differences by key.
function S.comparison(a, b, name_a, name_b)
  local diff = {}
  local w = math.max(14, #name_a, #name_b)
  local out = {string.format("  %-20s %" .. w .. "s  %" .. w .. "s  %12s", "", name_a, name_b,
                             "difference")}
  out[#out + 1] = string.format("  %-20s %" .. w .. "s  %" .. w .. "s", "format",
                                string.format("%.3f s", a.duration_s or 0),
                                string.format("%.3f s", b.duration_s or 0))
  for _, row in ipairs(S.rows) do
    local key, label, dec, unit = row[1], row[2], row[3], row[4]
    local va, vb = a[key], b[key]
    local d = ""
    if type(va) == "number" and type(vb) == "number" then
      diff[key] = vb - va
      d = num(vb - va, dec)
      if vb - va > 0 and d:match("[1-9]") then d = "+" .. d end
      d = with_unit(d, DIFF_UNIT[unit] or unit)
    end
    out[#out + 1] = string.format("  %-20s %" .. w .. "s  %" .. w .. "s  %12s", label,
                                  with_unit(num(va, dec), unit), with_unit(num(vb, dec), unit), d)
  end
  return table.concat(out, "\n"), diff
end

--- One line about an audio file: format, duration, loudness and true peak.
function S.file(path, info, r)
  local fmt = info and string.format("%s %s, %d Hz, %d channel%s", info.format or "?",
                                     info.subtype or "", math.floor((info.rate or 0) + 0.5),
                                     info.channels or 0, info.channels == 1 and "" or "s") or "?"
  local dur = info and info.frames and info.rate and info.rate > 0
              and string.format(", %.3f s", info.frames / info.rate) or ""
  local loud = ""
  if r then
    loud = string.format(", %s, true peak %s", with_unit(num(r.integrated_lufs, 1), "LUFS"),
                         with_unit(num(r.true_peak_dbtp, 1), "dBTP"))
  end
  return string.format("%s: %s%s%s", path, fmt, dur, loud)
end

local function node_text(n)
  local r = rec.record(n)
  if r and r.op == "graph" and r.method == "file" then return tostring(r.args[1]) end
  local ok, s = pcall(tostring, n)
  if not ok then s = n:type() .. "{...}" end
  if r and r.op == "node" and not core.nodes(r.method) then
    -- made by a Lua method (x:loudness{...}): show the call, not its last node
    local a = r.args[1]
    local parts = {}
    if type(a) == "table" then
      local keys = {}
      for k in pairs(a) do if type(k) == "string" then keys[#keys + 1] = k end end
      table.sort(keys)
      for _, k in ipairs(keys) do parts[#parts + 1] = k .. " = " .. tostring(a[k]) end
    end
    s = r.method .. "{" .. table.concat(parts, ", ") .. "}"
  end
  return s
end

--- The chain that ends at node, one stage a line ("song.wav", "  -> eq{...}");
--- the inputs of a mix are indented under it.
function S.chain(node, indent, out)
  indent = indent or ""
  local top = out == nil
  out = out or {}
  local stages, n, mix = {}, node, nil
  while n do
    local r = rec.record(n)
    if r and r.op == "graph" and r.method == "mix" then mix = r; break end
    table.insert(stages, 1, node_text(n))
    n = (r and r.op == "node") and r.self or nil
  end
  if mix then
    out[#out + 1] = indent .. "mix of:"
    for _, item in ipairs(type(mix.args[1]) == "table" and mix.args[1] or {}) do
      local x = item
      if not core.is_node(item) and type(item) == "table" then x = item[1] end
      if core.is_node(x) then
        local first = #out + 1
        S.chain(x, indent .. "    ", out)
        if type(item) == "table" and item.gain then
          out[first] = out[first] .. string.format("   (gain %g dB)", item.gain)
        end
      end
    end
  end
  for i, s in ipairs(stages) do
    out[#out + 1] = indent .. ((i > 1 or mix) and "  -> " or "") .. s
  end
  if top then return table.concat(out, "\n") end
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

-- plain tables: {1, 2, key = value}, short and one level deep
function S.table(t, depth)
  depth = depth or 0
  if depth > 1 or has_tostring(t) then return tostring(t) end
  local parts, n = {}, 0
  local len = #t
  for i = 1, len do
    local v = t[i]
    parts[#parts + 1] = type(v) == "table" and S.table(v, depth + 1)
                        or (type(v) == "string" and string.format("%q", v) or tostring(v))
    n = n + 1
    if n >= 30 then parts[#parts + 1] = "..."; break end
  end
  local keys = {}
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= len) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    n = n + 1
    if n > 30 then parts[#parts + 1] = "..."; break end
    local v = t[k]
    local ks = (type(k) == "string" and k:match("^[%a_][%w_]*$")) and k
               or "[" .. (type(k) == "string" and string.format("%q", k) or tostring(k)) .. "]"
    parts[#parts + 1] = ks .. " = " .. (type(v) == "table" and S.table(v, depth + 1)
                        or (type(v) == "string" and string.format("%q", v) or tostring(v)))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

return S
