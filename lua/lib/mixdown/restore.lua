-- restore.lua - helpers for the restoration nodes.
--
--   local restore = require "mixdown.restore"
--   -- the hiss after the song's end, 4:32 to 4:36, measured in a first pass:
--   local noise = restore.noise_profile("take.wav", 272, 276)
--   g:file("take.wav"):denoise{noise = noise, amount = 0.8}
--
-- denoise{profile = {start, stop}} learns a span while the stream passes and
-- so delays its output by `stop`: fine for a few seconds of noise at the
-- start, costly for a span late in a long file. noise_profile measures the
-- span in a separate pass instead (a region of the file into a meter), so
-- denoise gets its noise spectrum up front, with no delay.
local md = require "mixdown"

local M = {}

local function fail(msg) error(msg, 3) end

--- The noise spectrum of path between start and stop (seconds), as the
-- `noise` points of denoise: {{freq = Hz, db = dB per Hz}, ...}, one per
-- 1/24 octave from 20 Hz (and one for the bins below) up to Nyquist, the power
-- averaged over the channels and over the span.
--
-- The meter's long-term spectrum (md_meter.h) reads a sine of peak A as
-- 20 log10 A, so a bin holding power p (one-sided, mean over channels)
-- reads 10 log10(3 p): 2 for peak^2 / power, 1.5 for the Hann window's
-- noise bandwidth in bins. Power per Hz (what denoise takes) = p / bin_hz.
function M.noise_profile(path, start, stop, opts)
  if type(path) ~= "string" then fail("noise_profile: path must be a string, got " .. type(path)) end
  if type(start) ~= "number" or type(stop) ~= "number" or not (stop > start) or start < 0 then
    fail(string.format("noise_profile: needs 0 <= start < stop (seconds), got %s, %s",
                       tostring(start), tostring(stop)))
  end
  local g = md.graph()
  local m = g:region{path = path, from = start, to = stop}:meter{plots = true}
  g:run{progress = opts and opts.progress or false}
  local sp = m:spectrum()
  local bin = sp.bin_hz
  local nyq = sp.freq[#sp.freq]
  local pts = {}
  local function add(lo, hi)
    local sum, n = 0, 0
    for k = 1, #sp.freq do
      local f = sp.freq[k]
      if f >= lo and f < hi and sp.db[k] > -math.huge then
        sum = sum + 10 ^ (sp.db[k] / 10) / 3
        n = n + 1
      end
    end
    if n > 0 then
      local centre = lo > 0 and math.sqrt(lo * math.min(hi, nyq)) or hi / 2
      pts[#pts + 1] = {freq = centre, db = 10 * math.log(sum / n / bin, 10)}
    end
  end
  add(0, 20)
  local step = 2 ^ (1 / 24)
  local lo = 20
  while lo < nyq do
    add(lo, lo * step)
    lo = lo * step
  end
  if #pts == 0 then fail("noise_profile: " .. path .. ": the span is digital silence") end
  return pts
end

return M
