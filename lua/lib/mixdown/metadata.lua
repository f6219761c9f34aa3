-- mixdown.metadata: delivery metadata for `master` (and recipes): tags of the
-- input carried over to each output, `--tag KEY=VALUE` and `--isrc CODE`, and
-- the BWF bext loudness fields of the delivered file.
--
--   local meta = require "mixdown.metadata"
--   local extra = {tags = {}, isrc = nil}
--   extra.tags.title = "..."                       -- from meta.parse_tag("title=...")
--   local wopts = meta.write_options(input, extra, wopts)  -- before each render
--   ... render to tmp, measure tmp (analyze) ...
--   meta.finish(tmp, result)                         -- before renaming tmp
--
-- Where the values go: tags into every format libsndfile writes text into
-- (WAV LIST/INFO, AIFF, FLAC and Ogg comments, Opus, MP3 ID3); WAV files get
-- a bext chunk (EBU Tech 3285 v2) whose loudness fields finish() fills from
-- the measurement of the file as written; the ISRC goes into the bext
-- Description as "ISRC:CCXXXYYNNNNN" (EBU Tech 3352), or into the comment of
-- formats without bext.
local core = require "mixdown.core"

local M = {}

M.tag_names = core.tag_names

local function known()
  local list = {}
  for _, n in ipairs(core.tag_names) do list[#list + 1] = n end
  list[#list + 1] = "isrc"
  return list
end

local function is_tag(k)
  for _, n in ipairs(core.tag_names) do
    if n == k then return true end
  end
  return false
end

--- "KEY=VALUE" -> key (lowercase), value; raises "--tag ..." naming the problem.
function M.parse_tag(s, who)
  who = who or "master"
  local k, v = tostring(s):match("^([^=]+)=(.*)$")
  if not k then
    error(string.format("%s: --tag must be KEY=VALUE, got '%s'", who, tostring(s)), 0)
  end
  k = k:lower()
  if not is_tag(k) and k ~= "isrc" then
    error(string.format("%s: --tag: unknown tag '%s' (known: %s)", who, k,
                        table.concat(known(), ", ")), 0)
  end
  if k == "isrc" then
    local code = core.isrc(v)
    if not code then
      error(string.format("%s: --isrc must be 12 characters like CC-XXX-YY-NNNNN, got '%s'",
                          who, v), 0)
    end
    v = code
  end
  return k, v
end

--- Checks an ISRC and returns it normalized, or raises naming the option.
function M.parse_isrc(s, who)
  local code = core.isrc(tostring(s))
  if not code then
    error(string.format("%s: --isrc must be 12 characters like CC-XXX-YY-NNNNN, got '%s'",
                        who or "master", tostring(s)), 0)
  end
  return code
end

--- The tags to write for an output: the input's (when readable; not its
--- "software"), then extra.tags over them, extra.isrc.
--- Returns {title = ..., ..., isrc = ...}.
function M.tags_for(input, extra)
  local t = {}
  if input then
    local from = core.tags(input)
    -- "software" names what wrote the input, not the music: it stays behind
    if from then for k, v in pairs(from) do if k ~= "software" then t[k] = v end end end
  end
  if extra and extra.tags then
    for k, v in pairs(extra.tags) do
      if k == "isrc" then t.isrc = v else t[k] = v end
    end
  end
  if extra and extra.isrc then t.isrc = extra.isrc end
  return t
end

--- Adds the metadata options of x:write() to wopts (a new table if nil):
--- the tags, isrc, and bext = true (the sink adds the chunk to WAV/RF64 only).
function M.write_options(input, extra, wopts)
  wopts = wopts or {}
  for k, v in pairs(M.tags_for(input, extra)) do wopts[k] = v end
  if not (extra and extra.bext == false) then wopts.bext = true end
  return wopts
end

--- After the delivered file is measured (result: m:result() of that file):
--- fills its bext loudness fields in place, when it has a bext chunk.
--- Returns true when it wrote them; raises naming the file on failure.
function M.finish(path, result)
  local b, err = core.bext(path)
  if b == nil then error(err, 0) end
  if not b then return false end
  local ok, werr = core.bext_loudness(path, result)
  if not ok then error(werr, 0) end
  return true
end

return M
