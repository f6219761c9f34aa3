-- Delivery targets: integrated loudness (LUFS) and true-peak ceiling (dBTP)
-- per platform. Sources are listed in the README ("Platform targets").
-- audiobook-acx is measured differently: RMS within -23..-18 dBFS (we aim at
-- -20), sample peak at most -3 dBFS, noise floor at most -60 dBFS.
local P = {
  spotify      = {target = -14, ceiling = -1},
  apple        = {target = -16, ceiling = -1},
  youtube      = {target = -14, ceiling = -1},
  tidal        = {target = -14, ceiling = -1},
  amazon       = {target = -14, ceiling = -2},
  deezer       = {target = -15, ceiling = -1},
  soundcloud   = {target = -14, ceiling = -1},
  ["ebu-r128"] = {target = -23, ceiling = -1},
  ["atsc-a85"] = {target = -24, ceiling = -2},
  podcast      = {target = -16, ceiling = -1},
  ["cd-loud"]  = {target = -9, ceiling = -0.3},
  ["audiobook-acx"] = {target = -20, ceiling = -3, measure = "rms",
                       rms_min = -23, rms_max = -18, peak_max = -3, noise_max = -60},
}

local names = {}
for k in pairs(P) do names[#names + 1] = k end
table.sort(names)

return {table = P, names = names, default = "spotify"}
