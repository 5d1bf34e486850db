// Indonesian dates in dcc.DatePickerSingle/Range, whatever the browser's locale, without any network.
//
// Dash's date pickers (react-dates) format month and day names with the copy of moment.js bundled inside
// dash_core_components.js, which already carries moment's "id" locale but never selects it, and which is not
// exposed as window.moment. Webpack lets a page join its chunk list: the runtime callback below receives the
// bundle's own require, finds moment's module and selects "id" (Januari…Desember, Mg Sn Sl Rb Km Jm Sb).
// The day/month/year order in the box comes from display_format="DD/MM/YYYY" on each picker.
(function () {
  var MONTHS = "Januari_Februari_Maret_April_Mei_Juni_Juli_Agustus_September_Oktober_November_Desember".split("_");

  function useIndonesian(require) {
    var factories = require.m || {};
    for (var key in factories) {
      if (!Object.prototype.hasOwnProperty.call(factories, key)) continue;
      var source = String(factories[key]);
      if (source.indexOf("momentProperties") < 0 || source.indexOf("defineLocale") < 0) continue;
      var moment = require(key);
      moment = moment && moment.default && moment.default.locale ? moment.default : moment;
      if (!moment || typeof moment.locale !== "function") continue;
      if (moment.locale("id") !== "id") {  // a build without the locale: define the words we need
        moment.defineLocale("id", {
          months: MONTHS, monthsShort: "Jan_Feb_Mar_Apr_Mei_Jun_Jul_Agt_Sep_Okt_Nov_Des".split("_"),
          weekdays: "Minggu_Senin_Selasa_Rabu_Kamis_Jumat_Sabtu".split("_"),
          weekdaysShort: "Min_Sen_Sel_Rab_Kam_Jum_Sab".split("_"), weekdaysMin: "Mg_Sn_Sl_Rb_Km_Jm_Sb".split("_"),
          week: {dow: 1, doy: 4}
        });
        moment.locale("id");
      }
      window.__aduanMomentLocale = moment.locale();
      return;
    }
  }

  var chunks = (self.webpackChunkdash_core_components = self.webpackChunkdash_core_components || []);
  chunks.push([["aduan-moment-id"], {}, function (require) {
    try {
      useIndonesian(require);
    } catch (err) {  // never take the page down for a calendar's language
      if (window.console) console.warn("aduan: bahasa kalender tidak dapat diatur", err);
    }
  }]);
})();
