// tinybench site: sortable and filterable tables, and the comparison view. No network, no eval,
// no innerHTML with data: every value is written with textContent.
(function () {
  "use strict";

  function cellValue(row, index, numeric) {
    var cell = row.children[index];
    if (!cell) { return numeric ? null : ""; }
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
    if (!numeric) { return raw.toLowerCase(); }
    if (raw === "" || raw === null) { return null; }
    var n = parseFloat(raw);
    return isNaN(n) ? null : n;
  }

  function sortTable(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.getAttribute("data-sort") === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }            // missing values always last
      if (y === null) { return -1; }
      var order = x < y ? -1 : (x > y ? 1 : 0);
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.querySelectorAll("table.sortable th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () { sortTable(th.closest("table"), th); });
  });

  document.querySelectorAll("input[data-filter-for]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter-for"));
    input.addEventListener("input", function () {
      var query = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = query !== "" && row.textContent.toLowerCase().indexOf(query) === -1;
      });
    });
  });

  document.querySelectorAll("button[data-compare-for]").forEach(function (button) {
    button.addEventListener("click", function () {
      var picked = document.querySelectorAll("#" + button.getAttribute("data-compare-for") + " input.pick:checked");
      var ids = Array.prototype.map.call(picked, function (c) { return c.value; });
      window.location.href = "../compare.html#" + ids.join(",");
    });
  });

  var dataNode = document.getElementById("compare-data");
  if (dataNode) { compareView(JSON.parse(dataNode.textContent)); }

  function compareView(data) {
    var picker = document.getElementById("compare-picker");
    var output = document.getElementById("compare-output");
    var chosen = (window.location.hash || "").replace(/^#/, "").split(",").filter(Boolean);
    data.systems.forEach(function (system) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.value = system.slug;
      box.checked = chosen.indexOf(system.slug) !== -1;
      box.addEventListener("change", render);
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + system.name));
      picker.appendChild(label);
    });
    render();

    function render() {
      var ids = Array.prototype.map.call(picker.querySelectorAll("input:checked"), function (b) { return b.value; });
      window.history.replaceState(null, "", "#" + ids.join(","));
      var systems = data.systems.filter(function (s) { return ids.indexOf(s.slug) !== -1; });
      while (output.firstChild) { output.removeChild(output.firstChild); }
      if (systems.length < 2) {
        var p = document.createElement("p");
        p.className = "note";
        p.textContent = "Select at least two systems.";
        output.appendChild(p);
        return;
      }
      var table = document.createElement("table");
      table.id = "comparison";
      var head = table.createTHead().insertRow();
      ["workload", "figure"].concat(systems.map(function (s) { return s.name; })).forEach(function (text) {
        var th = document.createElement("th");
        th.textContent = text;
        head.appendChild(th);
      });
      var body = table.createTBody();
      data.workloads.forEach(function (workload) {
        data.figures.forEach(function (figure) {
          var values = systems.map(function (s) { return ((s.results[workload] || {})[figure.key]); });
          if (values.every(function (v) { return v === undefined; })) { return; }
          var row = body.insertRow();
          row.insertCell().textContent = workload;
          row.insertCell().textContent = figure.label;
          values.forEach(function (v) {
            var cell = row.insertCell();
            cell.className = "num" + (v === undefined || v === null ? " missing" : "");
            cell.textContent = (v === undefined || v === null) ? "not measured" : v.text;
            if (v && v.value !== null) { cell.setAttribute("data-value", String(v.value)); }
          });
        });
      });
      output.appendChild(table);
    }
  }
})();
