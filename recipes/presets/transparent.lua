-- transparent: loudness and true-peak safety, nothing else.
--
-- What it does: nothing to the sound. `mixdown master` measures the track,
-- sets one gain so it lands on the delivery target and puts a true-peak
-- limiter after it; when the track's peaks fit under the ceiling at that
-- gain the limiter never acts and the master is the mix, louder or softer.
--
-- Why: a finished mix that only needs to meet a platform's loudness and
-- peak specification should not be re-equalized or re-compressed. This is
-- the default preset, and the reference the others are measured against.
--
-- Intent in figures (the demo song, to -14 LUFS): spectral tilt unchanged
-- (within 0.05 dB/octave), loudness range unchanged (95..103 %), crest
-- factor lowered by at most 3 dB: only by the limiter, which acts when the
-- track's peak-to-loudness ratio is larger than the target leaves room for
-- (the demo peaks 14.7 dB over its loudness; -14 LUFS under -1 dBTP leaves 13).
return {
  name = "transparent",
  description = "Loudness and true-peak safety only: one gain and a true-peak limiter, no coloring.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "",
                 doc = "kept for uniformity with the other presets; changes nothing here"},
  },
  build = function(x, p)
    return x
  end,
  intent = {crest = {-3, 0.25}, tilt = {-0.05, 0.05}, lra = {0.95, 1.03}},
}
