-- Command-line option values, shared by the verbs (master, mix): the value
-- after an option at position i, checked, and the position after it.
local A = {}

--- The value of option `name` at args[i + 1]; returns it and i + 2.
function A.value(verb, args, i, name)
  local v = args[i + 1]
  if v == nil then
    error(string.format("%s: %s needs a value (see mixdown %s --help)", verb, name, verb), 0)
  end
  return v, i + 2
end

--- The same, for a finite number.
function A.number(verb, args, i, name)
  local v, ni = A.value(verb, args, i, name)
  local n = tonumber(v)
  if not n or n ~= n or n == math.huge or n == -math.huge then
    error(string.format("%s: %s must be a number, got '%s'", verb, name, v), 0)
  end
  return n, ni
end

return A
