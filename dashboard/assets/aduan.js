// Clientside helpers (no network, no external libraries).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  aduan: {
    kioskClass: function (search) {
      var kiosk = new URLSearchParams(search || "").get("kiosk");
      var on = kiosk === "1" || kiosk === "true" || kiosk === "ya";
      document.body.classList.toggle("kiosk", on);
      return on ? "d-none" : "";
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
