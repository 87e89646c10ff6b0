// Address pickers: choosing a province fills its districts, a district its wards; each list can be
// searched without accents ("phuc xa" finds "Phường Phúc Xá"). Without script the form still works:
// the server fills the next list when the form comes back.
(function () {
  "use strict";
  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  function fill(select, items, placeholder) {
    select.innerHTML = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = placeholder;
    select.appendChild(first);
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.code;
      option.textContent = item.name;
      select.appendChild(option);
    });
    select.disabled = items.length === 0;
  }
  function searchable(select) {
    var box = document.getElementById(select.id + "_search");
    if (!box) return;
    box.hidden = false;
    box.addEventListener("input", function () {
      var wanted = plain(box.value.trim());
      var firstMatch = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var show = !option.value || !wanted || plain(option.textContent).indexOf(wanted) !== -1;
        option.hidden = !show;
        if (show && option.value && firstMatch === null) firstMatch = option;
      });
      var current = select.selectedIndex < 0 ? null : select.options[select.selectedIndex];
      if (firstMatch && wanted && (!current || !current.value || current.hidden)) {
        select.value = firstMatch.value;
        select.dispatchEvent(new Event("change"));
      }
    });
  }
  document.querySelectorAll("[data-address]").forEach(function (box) {
    var province = box.querySelector("select[data-level=province]");
    var district = box.querySelector("select[data-level=district]");
    var ward = box.querySelector("select[data-level=ward]");
    var cache = null;
    [province, district, ward].forEach(searchable);
    province.addEventListener("change", function () {
      fill(district, [], district.dataset.placeholder);
      fill(ward, [], ward.dataset.placeholder);
      cache = null;
      if (!province.value) return;
      fetch(box.dataset.url + province.value + ".json", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          cache = data;
          fill(district, data.districts, district.dataset.placeholder);
        });
    });
    district.addEventListener("change", function () {
      var chosen = cache && cache.districts.filter(function (d) { return d.code === district.value; })[0];
      fill(ward, chosen ? chosen.wards : [], ward.dataset.placeholder);
      if (chosen) {
        var search = document.getElementById(ward.id + "_search");
        if (search) search.value = "";
      }
    });
    if (province.value && district.value) {
      fetch(box.dataset.url + province.value + ".json", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { cache = data; });
    }
  });
})();
