-- test_recipe_validate.lua - the preset format's checks (lua/lib/mixdown/recipe.lua):
-- the table itself, values from --set and from Lua, extends merging, and
-- the chains a sandboxed build records. Run: mixdown run test_recipe_validate.lua
local recipe = require "mixdown.recipe"

local passed, failed = 0, 0
local function ok(cond, name)
  if cond then passed = passed + 1 else failed = failed + 1; print("FAIL " .. name) end
end
-- checkerr(pattern, f, ...): f raises a message matching pattern (whole message)
local function checkerr(pattern, f, ...)
  local good, msg = pcall(f, ...)
  if good then
    failed = failed + 1
    print("FAIL no error, expected " .. pattern)
  elseif not tostring(msg):match(pattern) then
    failed = failed + 1
    print("FAIL message '" .. tostring(msg) .. "' does not match '" .. pattern .. "'")
  else
    passed = passed + 1
  end
end

local FN = {__function = true}
local SRC = table.concat({
  "return {",                                                            -- 1
  "  params = {",                                                        -- 2
  "    intensity = {default = 0.5, min = 0, max = 1, doc = 'how hard'},", -- 3
  "    drive = {3, 0, 12, 'dB', 'tape drive'},",                         -- 4
  "    color = {default = 'tape', choices = {'tape', 'tube'}},",         -- 5
  "    bright = {default = false},",                                     -- 6
  "  },",                                                                -- 7
  "  build = function(x, p) return x end,",                              -- 8
  "  target = -12,",                                                     -- 9
  "}",
}, "\n")
local CTX = {name = "t", file = "t.lua", source = SRC}
local function desc(over)
  local d = {
    params = {
      intensity = {default = 0.5, min = 0, max = 1, doc = "how hard"},
      drive = {3, 0, 12, "dB", "tape drive"},
      color = {default = "tape", choices = {"tape", "tube"}},
      bright = {default = false},
    },
    build = FN, target = -12,
  }
  for k, v in pairs(over or {}) do d[k] = v end
  return d
end

-- a valid table: both parameter forms, types, sorted names, the lines found
local spec = recipe.validate(desc(), CTX)
ok(spec.params.drive.default == 3 and spec.params.drive.max == 12 and spec.params.drive.unit == "dB", "positional form")
ok(spec.params.intensity.type == "number" and spec.params.color.type == "string" and spec.params.bright.type == "boolean", "types")
ok(table.concat(spec.names, ",") == "bright,color,drive,intensity", "names sorted")
ok(spec.lines.intensity == 3 and spec.lines.drive == 4, "declaration lines found in the source")
ok(spec.target == -12 and spec.has_build, "target and build")

-- the table's errors name the file, the line, the preset and the parameter
checkerr("^t%.lua:3: preset 't': parameter 'intensity': default 2 is outside its range 0%.%.1$", recipe.validate,
         desc{params = {intensity = {default = 2, min = 0, max = 1}}}, CTX)
checkerr("^t%.lua:4: preset 't': parameter 'drive': min 12 is greater than max 0$", recipe.validate,
         desc{params = {drive = {3, 12, 0}}}, CTX)
checkerr("parameter 'drive': default must be a finite number, got .*nan", recipe.validate,
         desc{params = {drive = {0 / 0, 0, 12}}}, CTX)
checkerr("parameter 'drive': max must be a finite number, got inf", recipe.validate,
         desc{params = {drive = {3, 0, math.huge}}}, CTX)
checkerr("parameter 'drive': a number needs min and max", recipe.validate, desc{params = {drive = {default = 3}}}, CTX)
checkerr("parameter 'drive': has no default", recipe.validate, desc{params = {drive = {min = 0, max = 1}}}, CTX)
checkerr("parameter 'drive': unknown field 'maxi' %(did you mean 'max'%?%)", recipe.validate,
         desc{params = {drive = {default = 1, min = 0, maxi = 2}}}, CTX)
checkerr("parameter 'color': default 'red' is not one of its choices %(tape, tube%)", recipe.validate,
         desc{params = {color = {default = "red", choices = {"tape", "tube"}}}}, CTX)
checkerr("^t%.lua: preset 't': unknown field 'parms' %(did you mean 'params'%?%)$", recipe.validate, desc{parms = {}}, CTX)
checkerr("^t%.lua:9: preset 't': target must be a number within %-70%.%.0", recipe.validate, desc{target = 3}, CTX)
checkerr("ceiling must be a number within %-30%.%.0", recipe.validate, desc{ceiling = -40}, CTX)
checkerr("build must be a function", recipe.validate, desc{build = 3}, CTX)
local nobuild = desc()
nobuild.build = nil
checkerr("a preset needs build", recipe.validate, nobuild, CTX)
checkerr("intent%.crest must be {low, high}", recipe.validate, desc{intent = {crest = {2, 1}}}, CTX)
checkerr("unknown intent 'crst' %(did you mean 'crest'%?%)", recipe.validate, desc{intent = {crst = {1, 2}}}, CTX)
ok(recipe.validate(desc{target = FN}, CTX).target_fn == true, "a target may be a function")

-- --set KEY=VALUE: numbers, booleans, else strings
local k, v = recipe.parse_set("intensity=0.7")
ok(k == "intensity" and v == 0.7 and math.type(v) == "float", "--set number")
k, v = recipe.parse_set(" bright = true ")
ok(k == "bright" and v == true, "--set true")
k, v = recipe.parse_set("color=tube")
ok(v == "tube", "--set string")
k, v = recipe.parse_set("drive=1e1")
ok(v == 10, "--set exponent")
checkerr("^%-%-set intensity: expected KEY=VALUE", recipe.parse_set, "intensity")

-- values: defaults filled, each checked against its table
local vals = recipe.check_values(spec, {drive = 6})
ok(vals.drive == 6 and vals.intensity == 0.5 and vals.color == "tape" and vals.bright == false, "defaults filled")
checkerr("^t%.lua: %-%-set intensty=1: preset 't' has no parameter 'intensty' %(did you mean 'intensity'%?%)",
         recipe.check_values, spec, {intensty = 1}, {intensty = "--set intensty=1"})
checkerr("^t%.lua:4: drive must be within 0%.%.12 dB, got 13", recipe.check_values, spec, {drive = 13})
checkerr("^t%.lua:3: intensity must be a number %(no unit%), got string 'hard'", recipe.check_values, spec, {intensity = "hard"})
checkerr("intensity must be a finite number, got .*nan", recipe.check_values, spec, {intensity = 0 / 0})
checkerr("bright must be true or false, got number '1'", recipe.check_values, spec, {bright = 1})
checkerr("color must be one of tape, tube, got 'tub' %(did you mean 'tube'%?%)", recipe.check_values, spec, {color = "tub"})

-- nearest names
ok(recipe.nearest("popp", {"pop", "rock", "jazz"}) == "pop", "nearest: popp -> pop")
ok(recipe.nearest("clasical", {"classical", "jazz"}) == "classical", "nearest: clasical")
ok(recipe.nearest("xyz", {"pop", "rock"}) == nil, "nearest: nothing close")

-- extends: params added and replaced, target inherited, sources base first
local base = recipe.validate(desc(), {name = "base", file = "base.lua", source = SRC})
local child = recipe.validate({extends = "base", params = {drive = {default = 1, min = 0, max = 2}, air = {0, -3, 3, "dB"}}},
                              {name = "child", file = "child.lua", source = "return {}"})
local merged = recipe.merge(base, child)
ok(merged.params.drive.max == 2 and merged.params.air and merged.params.intensity, "merged parameters")
ok(merged.target == -12 and merged.has_build, "target and build inherited")
ok(#merged.sources == 2 and merged.sources[1].file == "base.lua" and merged.sources[2].file == "child.lua", "sources base first")
ok(type(merged.lines.intensity) == "table" and merged.lines.intensity.file == "base.lua", "inherited parameter lines name the base's file")

-- check_plan: the chain from the sandbox is checked before nodes are built
local kind = function(n) return (n == "eq" or n == "gain") and "processor" or nil end
local good = {records = {{type = "input"}, {type = "gain", input = 1, params = {db = 1}}}, output = 2}
ok(recipe.check_plan(good, spec, kind) == good, "a well-formed chain passes")
checkerr("'file' is not a processor", recipe.check_plan,
         {records = {{type = "input"}, {type = "file", input = 1, params = {}, where = "x.lua:2"}}, output = 2}, spec, kind)
checkerr("malformed chain record 2", recipe.check_plan,
         {records = {{type = "input"}, {type = "gain", input = 2, params = {}}}, output = 2}, spec, kind)
checkerr("build must return a node", recipe.check_plan,
         {records = {{type = "input"}}, output = 5}, spec, kind)
checkerr("target evaluated to 5", recipe.check_plan,
         {records = {{type = "input"}}, output = 1, target = 5}, spec, kind)

print(string.format("%d passed, %d failed", passed, failed))
if failed > 0 then os.exit(1) end
