// Clientside helpers (no network, no external libraries).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  aduan: {
    kioskClass: function (search, pathname) {
      var kiosk = new URLSearchParams(search || "").get("kiosk");
      var on = kiosk === "1" || kiosk === "true" || kiosk === "ya";
      document.body.classList.toggle("kiosk", on);
      setTimeout(fitWall, 60);  // the menu bar comes and goes: the wall starts higher or lower
      var publik = (pathname || "").replace(/\/+$/, "") === "/publik";  // the public page: its own header
      return on || publik ? "d-none" : "";
    },
    // The wall: how big the screen and each chart are (the server sizes fonts and places map names from it),
    // and where the wall starts, so CSS can stretch it to the bottom of the screen (--wall-top). Measured
    // once the browser has laid out what just arrived (KPIs and tiles move the charts); a re-render that
    // left every size as it was changes nothing, so the charts are not fetched again for it.
    wallViewport: function (n) {
      var cc = window.dash_clientside.callback_context;
      var tick = !cc || !cc.triggered || cc.triggered.some(function (t) { return t.prop_id.indexOf("n_intervals") >= 0; });
      return new Promise(function (resolve) {
        requestAnimationFrame(function () { requestAnimationFrame(function () {
          fitWall();
          var graphs = {};
          ["wall-map", "wall-trend"].forEach(function (id) {
            var el = document.getElementById(id);
            if (el) { graphs[id] = [el.clientWidth, el.clientHeight]; }
          });
          var sizes = JSON.stringify([window.innerWidth, window.innerHeight, graphs]);
          if (!tick && sizes === window.__aduanWallSizes) { resolve(window.dash_clientside.no_update); return; }
          window.__aduanWallSizes = sizes;
          resolve({width: window.innerWidth, height: window.innerHeight, graphs: graphs, n: n});
        }); });
      });
    },
    // Keep the Jelajah filter in the address bar without reloading the page.
    replaceQuery: function (query) {
      var target = window.location.pathname + (query || "");
      if (target !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, "", target);
      }
      return window.dash_clientside.no_update;
    },
    // New filter: drop the infinite grid's cached blocks so it asks the server again from row 0.
    purgeGrid: function (filters, gridId) {
      if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
        window.dash_ag_grid.getApiAsync(gridId).then(function (api) {
          if (api.__aduanFilters !== undefined && api.__aduanFilters !== JSON.stringify(filters)) {
            api.purgeInfiniteCache();
          }
          api.__aduanFilters = JSON.stringify(filters);
        });
      }
      return window.dash_clientside.no_update;
    }
  }
});

function fitWall() {
  var wall = document.querySelector(".wall");
  if (wall) {
    var top = wall.getBoundingClientRect().top + window.scrollY;
    document.documentElement.style.setProperty("--wall-top", Math.round(top) + "px");
  }
}
window.addEventListener("resize", fitWall);
