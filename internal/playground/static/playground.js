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

  // storedKeyName is where a key typed in the Headers tab is kept, so that
  // it survives a reload (this browser's storage for this origin only).
  var storedKeyName = 'stiggql:apiKey';

  function loadKey() {
    try {
      return window.localStorage.getItem(storedKeyName) || '';
    } catch (e) {
      return '';
    }
  }

  function storeKey(key) {
    try {
      if (key) {
        window.localStorage.setItem(storedKeyName, key);
      } else {
        window.localStorage.removeItem(storedKeyName);
      }
    } catch (e) {
      // Storage disabled (private mode): the key lasts for this page only.
    }
  }

  // keyIn returns the value of header in the Headers tab's JSON text, or
  // undefined when the text is not JSON or has no such header.
  function keyIn(text, header) {
    var parsed;
    try {
      parsed = JSON.parse(text || '{}');
    } catch (e) {
      return undefined;
    }
    if (!parsed || typeof parsed !== 'object') {
      return undefined;
    }
    for (var name in parsed) {
      if (name.toLowerCase() === header.toLowerCase() && typeof parsed[name] === 'string') {
        return parsed[name].trim();
      }
    }
    return undefined;
  }

  function start(cfg) {
    if (typeof GraphiQL === 'undefined' || typeof React === 'undefined' ||
        typeof ReactDOM === 'undefined' || typeof GraphiQLPluginExplorer === 'undefined') {
      fail('The playground scripts did not load; reload the page, or check the server log.');
      return;
    }
    var header = cfg.apiKeyHeader || 'X-API-KEY';
    var url = new URL(cfg.endpoint, window.location.href).toString();
    var props = {
      defaultQuery: cfg.defaultQuery,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false
    };
    var initialKey = '';
    if (cfg.apiKey) {
      // Sent with every request; a header of the same name set in the
      // Headers tab takes precedence.
      initialKey = cfg.apiKey;
      showNotice('info', [
        'This local server\'s API key is sent as ', code(header + ': ' + mask(cfg.apiKey)),
        ' (preset because the server listens on a loopback address). ',
        'A header set in the Headers tab overrides it.'
      ]);
    } else {
      var stored = loadKey();
      props.defaultHeaders = '{\n  "' + header + '": ' + JSON.stringify(stored) + '\n}';
      if (stored) {
        initialKey = stored;
        showNotice('info', [
          'Using the API key you entered earlier in the ', code('Headers'),
          ' tab (kept in this browser). Clear it there to forget it.'
        ]);
      } else {
        props.defaultEditorToolsVisibility = 'headers';
        showNotice('warn', [
          'Every request needs a server API key: open the ', code('Headers'),
          ' tab below the query editor and enter ', code('{"' + header + '": "<your key>"}'),
          '. The key is printed when the server first starts; create another with ',
          code('stiggql keys create --environment default'), '.'
        ]);
      }
    }
    var explorer = GraphiQLPluginExplorer.explorerPlugin();
    props.plugins = [explorer];
    props.visiblePlugin = explorer;

    function fetcherFor(key) {
      var headers = {};
      if (key) {
        headers[header] = key;
      }
      return GraphiQL.createFetcher({ url: url, headers: headers });
    }

    // App re-creates the fetcher when the key in the Headers tab changes:
    // GraphiQL introspects again for a new fetcher, so the Explorer shows
    // the schema as soon as a key is entered (no "Re-fetch" click). A key
    // typed there is remembered unless the server preset one.
    function App() {
      var state = React.useState(initialKey);
      var key = state[0];
      var setKey = state[1];
      var fetcher = React.useMemo(function () { return fetcherFor(key); }, [key]);
      var timer = React.useRef(0);
      var onEditHeaders = React.useCallback(function (text) {
        window.clearTimeout(timer.current);
        timer.current = window.setTimeout(function () {
          var typed = keyIn(text, header);
          if (typed === undefined) {
            return;
          }
          if (!cfg.apiKey) {
            storeKey(typed);
          }
          setKey(typed || cfg.apiKey || '');
        }, 300);
      }, []);
      return React.createElement(GraphiQL, Object.assign({}, props, {
        fetcher: fetcher,
        onEditHeaders: onEditHeaders
      }));
    }
    root.textContent = '';
    ReactDOM.createRoot(root).render(React.createElement(App));
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
