-- REPL conveniences: md, help(), open(), render(), ... are globals in the session.
local md = require "mixdown"
local help = require "mixdown.help"

_G.md = md

function _G.help(what)
  if what == nil then
    io.write([[
In this session:
  md                       the mixdown module (md.graph(), md.nodes(), ...)
  g = md.graph()           a new graph;  x = g:file("song.wav")  a source
  x:highpass{freq = 30}    add a processor after x (any node name)
  x:write("out.wav")       an output;  g:run()  renders;  print(g)  shows the plan
  help "NODE"              a node's parameters (help "eq", help "limiter")
  `mixdown nodes` lists every node type.
]])
    return
  end
  if md.is_node(what) then what = what:type() end
  local text, err = help.node(tostring(what))
  io.write(text or (err .. "\n"))
end

return md
