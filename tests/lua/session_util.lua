-- session_util.lua - helpers for the tests/lua/test_session_*.lua scripts:
-- a scratch directory, WAV files written and read here in plain Lua (so the
-- checks do not go through mixdown's own file I/O), tone levels (Goertzel),
-- and the pass/fail count. Loaded with dofile(os.getenv("MD_TEST_DIR") .. "/lua/session_util.lua").
local U = {}

local tmp = io.popen("mktemp -d /tmp/mixdown-session.XXXXXX"):read("l")
assert(tmp and #tmp > 0, "mktemp failed")
U.dir = tmp
function U.path(name) return tmp .. "/" .. name end

local passes, failures = 0, 0
function U.check(name, cond, msg)
  if cond then passes = passes + 1; print("ok   " .. name)
  else failures = failures + 1; print("FAIL " .. name .. ": " .. tostring(msg)) end
end
function U.near(a, b, tol) return type(a) == "number" and type(b) == "number" and math.abs(a - b) <= tol end

--- checkerr(name, pattern, f, ...): f must raise an error whose message matches pattern
function U.checkerr(name, pattern, f, ...)
  local ok, err = pcall(f, ...)
  if ok then U.check(name, false, "no error raised")
  else U.check(name, tostring(err):find(pattern) ~= nil, "message: " .. tostring(err)) end
end

function U.finish()
  os.execute("rm -rf '" .. tmp .. "'")
  print(string.format("%d passed, %d failed", passes, failures))
  if failures > 0 then error(failures .. " check(s) failed", 0) end
end

--- Writes a 32-bit float WAV: chans[c][i] (1-based) at rate Hz.
function U.write_wav(path, rate, chans)
  local nch, frames = #chans, #chans[1]
  local parts = {}
  for i = 1, frames do
    for c = 1, nch do parts[#parts + 1] = string.pack("<f", chans[c][i]) end
  end
  local data = table.concat(parts)
  local f = assert(io.open(path, "wb"))
  f:write("RIFF", string.pack("<I4", 36 + #data), "WAVE")
  f:write("fmt ", string.pack("<I4I2I2I4I4I2I2", 16, 3, nch, rate, rate * nch * 4, nch * 4, 32))
  f:write("data", string.pack("<I4", #data), data)
  f:close()
end

--- Reads a PCM (16/24/32-bit) or float WAV (plain or extensible): returns
-- {rate, channels, frames, [c] = samples (1-based)}.
function U.read_wav(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  assert(s:sub(1, 4) == "RIFF" and s:sub(9, 12) == "WAVE", path .. ": not a WAV file")
  local pos, fmt, data = 13, nil, nil
  while pos + 8 <= #s do
    local id, size = s:sub(pos, pos + 3), string.unpack("<I4", s, pos + 4)
    if id == "fmt " then
      local tag, nch, rate, _, _, bits = string.unpack("<I2I2I4I4I2I2", s, pos + 8)
      if tag == 0xFFFE then tag = string.unpack("<I2", s, pos + 8 + 24) end
      fmt = {tag = tag, channels = nch, rate = rate, bits = bits}
    elseif id == "data" then
      data = {pos = pos + 8, size = size}
    end
    pos = pos + 8 + size + (size % 2)
  end
  assert(fmt and data, path .. ": no fmt or data chunk")
  local bytes = fmt.bits // 8
  local frames = data.size // (bytes * fmt.channels)
  local out = {rate = fmt.rate, channels = fmt.channels, frames = frames}
  for c = 1, fmt.channels do out[c] = {} end
  local p = data.pos
  local code = fmt.tag == 3 and (bytes == 8 and "<d" or "<f") or ("<i" .. bytes)
  local scale = fmt.tag == 3 and 1 or 2.0 ^ (fmt.bits - 1)
  for i = 1, frames do
    for c = 1, fmt.channels do
      out[c][i] = string.unpack(code, s, p) / scale
      p = p + bytes
    end
  end
  return out
end

--- A constant, a ramp or any function of the frame index k (0-based), as an array
function U.signal(frames, fn)
  local t = {}
  for k = 0, frames - 1 do t[k + 1] = fn(k) end
  return t
end

--- Amplitude (peak of a sine) in dB of the component at freq in x[first..last], by Goertzel
function U.tone_db(x, rate, freq, first, last)
  first, last = first or 1, last or #x
  local w = 2 * math.pi * freq / rate
  local coeff = 2 * math.cos(w)
  local s1, s2 = 0, 0
  local n = last - first + 1
  for i = first, last do
    -- Hann window against leakage from the other tones
    local win = 0.5 - 0.5 * math.cos(2 * math.pi * (i - first) / (n - 1))
    local s0 = x[i] * win + coeff * s1 - s2
    s2, s1 = s1, s0
  end
  local power = s1 * s1 + s2 * s2 - coeff * s1 * s2
  local amp = 2 * math.sqrt(math.max(power, 0)) / (n * 0.5)
  return amp > 0 and 20 * math.log(amp, 10) or -math.huge
end

function U.db(x) return x > 0 and 20 * math.log(x, 10) or -math.huge end

--- Peak and RMS in dB of x[first..last]
function U.levels(x, first, last)
  first, last = first or 1, last or #x
  local peak, sum = 0, 0
  for i = first, last do
    local v = math.abs(x[i])
    if v > peak then peak = v end
    sum = sum + v * v
  end
  return U.db(peak), 10 * math.log(math.max(sum / (last - first + 1), 1e-300), 10)
end

return U
