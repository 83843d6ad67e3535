// Starts GraphiQL with the explorer plugin. Loaded by the playground page
// after React, ReactDOM, GraphiQL and GraphiQLPluginExplorer (all served by
// this server); reads its settings from playground/config.json so that the
// page needs no inline script.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  var notice = document.getElementById('notice');

  function fail(message) {
    root.textContent = '';
    var p = document.createElement('p');
    p.className = 'setup error';
    p.textContent = message;
    root.appendChild(p);
  }

  function code(text) {
    var c = document.createElement('code');
    c.textContent = text;
    return c;
  }

  // showNotice fills the banner above GraphiQL with text and <code> parts.
  function showNotice(kind, parts) {
    notice.textContent = '';
    notice.className = 'notice notice-' + kind;
    var span = document.createElement('span');
    parts.forEach(function (part) {
      span.appendChild(typeof part === 'string' ? document.createTextNode(part) : part);
    });
    notice.appendChild(span);
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'notice-close';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '×';
    close.addEventListener('click', function () {
      notice.hidden = true;
    });
    notice.appendChild(close);
    notice.hidden = false;
  }

  function mask(key) {
    return key.length > 12 ? key.slice(0, 8) + '…' + key.slice(-4) : '…';
  }

  function start(cfg) {
    if (typeof GraphiQL === 'undefined' || typeof React === 'undefined' ||
        typeof ReactDOM === 'undefined' || typeof GraphiQLPluginExplorer === 'undefined') {
      fail('The playground scripts did not load. Run "bash scripts/setup-playground.sh" and reload.');
      return;
    }
    var header = cfg.apiKeyHeader || 'X-API-KEY';
    var fixedHeaders = {};
    var props = {
      defaultQuery: cfg.defaultQuery,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false
    };
    if (cfg.apiKey) {
      // Sent with every request; a header of the same name set in the
      // Headers tab takes precedence.
      fixedHeaders[header] = cfg.apiKey;
      showNotice('info', [
        'This local server\'s API key is sent as ', code(header + ': ' + mask(cfg.apiKey)),
        ' (preset because the server listens on a loopback address). ',
        'A header set in the Headers tab overrides it.'
      ]);
    } else {
      props.defaultHeaders = '{\n  "' + header + '": ""\n}';
      props.defaultEditorToolsVisibility = 'headers';
      showNotice('warn', [
        'Every request needs a server API key: open the ', code('Headers'),
        ' tab below the query editor and enter ', code('{"' + header + '": "<your key>"}'),
        '. The key is printed when the server first starts; create another with ',
        code('stiggql keys create --environment default'), '.'
      ]);
    }
    var explorer = GraphiQLPluginExplorer.explorerPlugin();
    props.plugins = [explorer];
    props.visiblePlugin = explorer;
    props.fetcher = GraphiQL.createFetcher({
      url: new URL(cfg.endpoint, window.location.href).toString(),
      headers: fixedHeaders
    });
    root.textContent = '';
    ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
  }

  fetch('playground/config.json', { headers: { Accept: 'application/json' }, cache: 'no-store' })
    .then(function (res) {
      if (!res.ok) {
        throw new Error('playground/config.json answered HTTP ' + res.status);
      }
      return res.json();
    })
    .then(start)
    .catch(function (err) {
      fail('Could not start the playground: ' + err.message);
    });
})();
