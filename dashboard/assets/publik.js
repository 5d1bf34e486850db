// The public page (/publik): keep the address bar in step with what is shown, without reloading the page,
// so that a looked-up code or the figures tab can be shared or reloaded.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  publik: {
    syncUrl: function (code, tab) {
      if (window.location.pathname.replace(/\/+$/, "") !== "/publik") {
        return window.dash_clientside.no_update;
      }
      var url = new URL(window.location.href);
      url.searchParams.delete("kode");
      url.searchParams.delete("tab");
      if (tab === "angka") {
        url.searchParams.set("tab", "angka");
      } else if (code) {
        url.searchParams.set("kode", code);
      }
      if (url.href !== window.location.href) {
        window.history.replaceState(window.history.state, "", url.href);
      }
      return window.dash_clientside.no_update;
    },
  },
});
