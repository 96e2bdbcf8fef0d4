-- Headless Neovim test of the language server, run by test/e2e/nvim.mjs:
--   nvim --headless -u NONE -c "luafile test/e2e/nvim/test.lua"
-- It loads the README's Neovim configuration (written out by the runner with the path
-- of this checkout, $KA_NVIM_CONFIG), which starts `node dist/cli.js lsp --stdio` with
-- vim.lsp.start_client on Neovim 0.7 (vim.lsp.start on 0.8+); opens the fixture
-- ($KA_NVIM_FILE, a tiled transpose with a 32-way bank conflict); waits for the
-- diagnostics; asks for a hover and the code actions at the finding; applies the rule's
-- fix and waits for the finding to go; then saves a bad .kernel-advisor.json and sends
-- editor settings of the wrong shape (`rules = {}`, which Neovim encodes as a JSON
-- array), and expects for each one window/showMessage notification, never a
-- window/showMessageRequest (a prompt that blocks the editor).
-- Written for the Lua API of Neovim 0.7 (Debian bookworm), which 0.10+ still has.
-- Prints one line per check and exits 0 only when every check passed.
local RULE = 'memory/shared-bank-conflict'
local TIMEOUT = 20000

local passed, failed = 0, 0
local function say(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end
local function check(name, ok, detail)
  if ok then
    passed = passed + 1
    say('ok   ' .. name)
  else
    failed = failed + 1
    say('FAIL ' .. name .. (detail and ('\n       ' .. tostring(detail):gsub('\n', '\n       ')) or ''))
  end
  return ok
end

-- What the server sends, seen through the global handlers (the client has none of its own).
local requests, messages, logs, published = {}, {}, {}, {}
vim.lsp.handlers['window/showMessageRequest'] = function(_, params)
  table.insert(requests, params)
  return vim.NIL
end
vim.lsp.handlers['window/showMessage'] = function(_, params)
  table.insert(messages, params)
  return params
end
vim.lsp.handlers['window/logMessage'] = function(_, params)
  table.insert(logs, params.message)
  return params
end
local publish = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, params, ctx, config)
  if params then published[params.uri] = params end
  return publish(err, params, ctx, config)
end

-- buf_get_clients is 0.7's (a map), get_clients 0.10's (a list)
local function buffer_clients(buf)
  local list = {}
  local found = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = buf }) or vim.lsp.buf_get_clients(buf)
  for _, c in pairs(found) do table.insert(list, c) end
  return list
end

-- buf_request_sync answers { [client id] = { result, error (0.7) or err (0.10) } }
local function request(buf, method, params)
  local answers, why = vim.lsp.buf_request_sync(buf, method, params, TIMEOUT)
  if not answers then return nil, method .. ': ' .. tostring(why) end
  for _, a in pairs(answers) do
    local e = a.error or a.err
    if e then return nil, method .. ': ' .. vim.inspect(e) end
    return a.result
  end
  return nil, method .. ': no answer'
end

local function rule_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

local function ours(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == 'kernel-advisor' then table.insert(list, d) end
  end
  return list
end

local function main()
  local file, config = vim.env.KA_NVIM_FILE, vim.env.KA_NVIM_CONFIG
  assert(file and config, 'KA_NVIM_FILE and KA_NVIM_CONFIG must be set (run test/e2e/nvim.mjs)')
  say('Neovim ' .. tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) .. '.' .. tostring(vim.version().patch))
  if vim.env.KA_NVIM_LOG then vim.lsp.set_log_level(vim.env.KA_NVIM_LOG) end
  -- Neovim 0.7 does not offer workspace/configuration: the server then takes the settings it pushes
  -- with workspace/didChangeConfiguration; 0.8+ is asked for them
  dofile(config) -- the README's configuration: a FileType autocommand

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'cuda' -- -u NONE leaves filetype detection off; this fires FileType

  local client
  vim.wait(TIMEOUT, function()
    client = buffer_clients(buf)[1]
    return client ~= nil and client.initialized == true
  end, 20)
  if not check('the README configuration starts kernel-advisor and attaches it to the .cu buffer', client ~= nil and client.initialized, client and 'not initialized' or 'no client attached') then
    return
  end
  local root = vim.fn.fnamemodify(file, ':p:h:h')
  check('root_dir is the folder holding .kernel-advisor.json', client.config.root_dir == root,
    'root_dir = ' .. tostring(client.config.root_dir) .. ', expected ' .. root)
  check('the server names itself', client.name == 'kernel-advisor' and client.server_capabilities ~= nil and client.server_capabilities.hoverProvider,
    vim.inspect(client.server_capabilities))

  local uri = vim.uri_from_bufnr(buf)
  local function raw_finding()
    local p = published[uri]
    for _, d in ipairs(p and p.diagnostics or {}) do
      if d.code == RULE then return d end
    end
  end
  local started = (vim.uv or vim.loop).hrtime()
  vim.wait(TIMEOUT, function() return raw_finding() ~= nil and #ours(buf) > 0 end, 20)
  local ms = ((vim.uv or vim.loop).hrtime() - started) / 1e6
  local shown = ours(buf)
  local first = shown[1]
  if not check(('diagnostics arrive (%d ms after the server was up)'):format(ms), first ~= nil,
    'none within ' .. TIMEOUT .. ' ms; server log:\n' .. table.concat(logs, '\n')) then
    return
  end
  local codes = {}
  for _, d in ipairs(shown) do table.insert(codes, tostring(rule_of(d))) end
  check('vim.diagnostic has a Kernel Advisor diagnostic whose code is a rule id (' .. RULE .. ')',
    vim.tbl_contains(codes, RULE) and rule_of(first):match('^[%l]+/[%l%-]+$') ~= nil, 'codes: ' .. table.concat(codes, ', '))
  local finding = raw_finding()
  check('its message is one line', finding ~= nil and not finding.message:find('\n') and #finding.message <= 160,
    finding and finding.message)

  local hover, herr = request(buf, 'textDocument/hover', { textDocument = { uri = uri }, position = finding.range.start })
  local text = hover and hover.contents and (hover.contents.value or hover.contents) or ''
  if type(text) ~= 'string' then text = vim.inspect(text) end
  local technique = vim.env.KA_NVIM_TECHNIQUE or 'bank conflict'
  check('the hover is markdown and names the technique ("' .. technique .. '")',
    hover ~= nil and hover.contents.kind == 'markdown' and text:lower():find(technique:lower(), 1, true) ~= nil,
    herr or text)
  check('the hover cites a paper (a link)', text:find('%]%(https?://') ~= nil, text)

  local actions, aerr = request(buf, 'textDocument/codeAction', {
    textDocument = { uri = uri },
    range = finding.range,
    context = { diagnostics = { finding } },
  })
  actions = actions or {}
  local titles, fix = {}, nil
  for _, a in ipairs(actions) do
    table.insert(titles, a.title)
    if a.isPreferred and a.edit and a.kind == 'quickfix' and not fix then fix = a end
  end
  local explain = false
  for _, t in ipairs(titles) do
    if t:find('^Explain') then explain = true end
  end
  check("the code actions include the rule's fix or Explain", fix ~= nil or explain,
    aerr or ('actions: ' .. table.concat(titles, ' | ')))
  if fix then
    -- versioned documentChanges, as VS Code gets them
    local before = #vim.api.nvim_buf_get_lines(buf, 0, -1, false)
    vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding or 'utf-16')
    local changed = vim.bo[buf].modified
    vim.wait(TIMEOUT, function() return changed and raw_finding() == nil end, 20)
    check('applying "' .. fix.title .. '" edits the buffer and the finding goes', changed and raw_finding() == nil,
      ('modified=%s, lines %d -> %d, finding still there: %s'):format(tostring(changed), before,
        #vim.api.nvim_buf_get_lines(buf, 0, -1, false), tostring(raw_finding() ~= nil)))
  end

  check('valid settings (rules = vim.empty_dict()) draw no message', #messages == 0, vim.inspect(messages))

  -- Bad settings: each draws one window/showMessage notification, never a request.
  local function expect_one_message(name, pattern, provoke)
    local n = #messages
    provoke()
    vim.wait(TIMEOUT, function() return #messages > n end, 20)
    local m = messages[n + 1]
    check(name .. ': one window/showMessage notification (' .. (m and m.message or 'none') .. ')',
      m ~= nil and m.type == 2 and m.message:find(pattern) ~= nil,
      vim.inspect(messages) .. '\nserver log:\n' .. table.concat(logs, '\n'))
    vim.wait(300, function() return #messages > n + 1 end, 20) -- a second one would come right after
    check(name .. ': nothing more, and no window/showMessageRequest (a blocking prompt)',
      #requests == 0 and #messages == n + 1, vim.inspect({ requests = requests, messages = messages }))
  end
  -- .kernel-advisor.json, saved from Neovim (the README's BufWritePost autocommand tells the server)
  local json = vim.fn.fnamemodify(file, ':p:h:h') .. '/.kernel-advisor.json'
  expect_one_message('a bad .kernel-advisor.json', '"rules" must be an object', function()
    vim.cmd('edit ' .. vim.fn.fnameescape(json))
    vim.api.nvim_buf_set_lines(0, 0, -1, false, { '{ "rules": [] }' })
    vim.cmd('silent write')
    vim.cmd('buffer ' .. buf)
  end)
  -- editor settings of the wrong shape: `rules = {}` reaches the server as a JSON array
  expect_one_message('rules = {} in the editor settings', 'settings %(kernelAdvisor', function()
    client.config.settings = { kernelAdvisor = { rules = {} } }
    client.rpc.notify('workspace/didChangeConfiguration', { settings = client.config.settings })
  end)

  vim.lsp.stop_client(client.id)
  -- is_stopped: a closure on 0.7, a method on 0.11
  local stopped = vim.wait(5000, function() return select(2, pcall(client.is_stopped, client)) == true end, 20)
  check('the server shuts down when asked', stopped)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then check('the test script ran to its end', false, err) end
say(('neovim: %d passed, %d failed'):format(passed, failed))
vim.cmd('cquit ' .. ((ok and failed == 0 and passed > 0) and 0 or 1))
