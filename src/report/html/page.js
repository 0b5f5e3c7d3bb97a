//<![CDATA[
// The page's one script. It is not needed to read the page: it shows hover texts at once (the
// SVG <title> elements, which also work without it) and records for a browser check what went
// wrong (data-errors) and which charts drew (data-charts, data-charts-missing, data-ready).
(function () {
  "use strict";
  var root = document.documentElement;
  var errors = [];
  function note(message) {
    errors.push(String(message));
    root.setAttribute("data-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (e) {
    note(e.message || "error");
  });
  window.addEventListener("unhandledrejection", function (e) {
    note("unhandled rejection: " + e.reason);
  });
  document.addEventListener("securitypolicyviolation", function (e) {
    note("blocked by the page's security policy: " + e.violatedDirective + " " + (e.blockedURI || ""));
  });
  document.addEventListener("DOMContentLoaded", function () {
    var tip = document.createElement("div");
    tip.className = "tip";
    tip.setAttribute("role", "tooltip");
    document.body.appendChild(tip);
    var titles = document.querySelectorAll("figure.chart svg title");
    for (var i = 0; i < titles.length; i++) {
      var t = titles[i];
      t.parentNode.setAttribute("data-tip", t.textContent);
      t.parentNode.removeChild(t);
    }
    document.addEventListener("mousemove", function (e) {
      var el = e.target.closest ? e.target.closest("[data-tip]") : null;
      if (!el) {
        tip.style.display = "none";
        return;
      }
      tip.textContent = el.getAttribute("data-tip");
      tip.style.display = "block";
      var x = e.clientX + 14;
      var y = e.clientY + 14;
      if (x + tip.offsetWidth > window.innerWidth - 8) {
        x = e.clientX - tip.offsetWidth - 14;
      }
      if (y + tip.offsetHeight > window.innerHeight - 8) {
        y = e.clientY - tip.offsetHeight - 14;
      }
      tip.style.left = Math.max(4, x) + "px";
      tip.style.top = Math.max(4, y) + "px";
    });
    var figures = document.querySelectorAll("figure[data-chart]");
    var drawn = 0;
    var missing = [];
    for (var j = 0; j < figures.length; j++) {
      var svg = figures[j].querySelector("svg");
      var box = svg ? svg.getBoundingClientRect() : null;
      if (box && box.width > 10 && box.height > 10) {
        drawn++;
      } else {
        missing.push(figures[j].getAttribute("data-chart"));
      }
    }
    root.setAttribute("data-charts", String(drawn));
    root.setAttribute("data-charts-missing", missing.join(" "));
    root.setAttribute("data-ready", "1");
  });
})();
//]]>
