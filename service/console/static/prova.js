// Live esito of the combustion test: after each change the form is sent to the console's JSON
// endpoint (the same rules as POST /ispettore/esito) and the panel is redrawn. Without
// JavaScript the "Calcola l'esito" button posts the form and the page shows the same panel.
(function () {
  var form = document.getElementById("modulo-prova");
  if (!form) return;
  var vivo = document.getElementById("esito-vivo");
  var NOMI = {"1.p": "1.p volumetria", "4.b": "4.b compilazione libretto di centrale", "4.c": "4.c esame del locale",
    "5.b": "5.b compilazione libretto", "7": "7 intera sezione delle misure", "7.a": "7.a Bacharach",
    "7.b": "7.b misure di combustione", "7.c": "7.c tiraggio", "8.b": "8.b CO", "8.c": "8.c Bacharach",
    "8.d": "8.d rendimento", "9": "9 esito", "10.b": "10.b codici di non conformità"};
  var timer = null;
  function testo(tag, t, id) {
    var el = document.createElement(tag); el.textContent = t; if (id) el.id = id; return el;
  }
  function riga(dl, nome, valore, id) {
    var dt = testo("dt", nome); dt.className = "col-7";
    var dd = testo("dd", valore); dd.className = "col-5"; if (id) dd.id = id;
    dl.appendChild(dt); dl.appendChild(dd);
  }
  function sn(v, si, no) { return v === true ? si : v === false ? no : "—"; }
  function mostra(r) {
    vivo.textContent = "";
    form.querySelectorAll(".errore-campo").forEach(function (e) { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
    if (!r.esito) {
      vivo.appendChild(testo("p", "Completare o correggere i campi indicati.", "esito-valore"));
      var ul = document.createElement("ul"); ul.className = "small text-danger";
      Object.keys(r.errori || {}).forEach(function (k) {
        ul.appendChild(testo("li", r.errori[k]));
        var box = document.getElementById("e-" + k); if (box) box.textContent = r.errori[k];
        var campo = document.getElementById("p-" + k); if (campo) campo.setAttribute("aria-invalid", "true");
      });
      vivo.appendChild(ul);
      return;
    }
    var e = r.esito;
    var titolo = e.esito === "9.a" ? "9.a · positivo" : e.esito === "9.b" ? "9.b · negativo" : "Esito barrato: prova non eseguibile";
    var h = testo("p", titolo, "esito-valore"); h.className = "h4"; vivo.appendChild(h);
    var dl = document.createElement("dl"); dl.className = "row small mb-0";
    riga(dl, "η min", e.eta_min || "—", "v-eta_min");
    riga(dl, "η rilevato", e.eta_rilevato || "—", "v-eta_rilevato");
    riga(dl, "η rilevato + 2", e.eta_rilevato_piu_2 || "—", "v-eta_rilevato_piu_2");
    riga(dl, "Rendimento", sn(e.rendimento_sufficiente, "sufficiente", "insufficiente"));
    riga(dl, "CO corretto (ppm)", (e.co_corretto_ppm === null ? "—" : String(e.co_corretto_ppm))
      + (e.co_regolare === null ? "" : " · " + (e.co_regolare ? "regolare" : "irregolare")), "v-co_corretto_ppm");
    riga(dl, "Bacharach", sn(e.bacharach_ok, "entro il limite", "oltre il limite"));
    vivo.appendChild(dl);
    if (e.punti_non_conformi.length) vivo.appendChild(testo("p", "Punti non conformi: " + e.punti_non_conformi.join(", ")));
    if (e.campi_barrati.length) {
      var p = testo("p", "Campi da barrare: " + e.campi_barrati.map(function (c) { return NOMI[c] || c; }).join("; "), "v-barrati");
      p.className = "small mb-1"; vivo.appendChild(p);
    }
    Object.keys(e.medie || {}).forEach(function (k) {
      var cella = document.getElementById("media-" + k); if (cella) cella.textContent = e.medie[k] || "barrato";
    });
    if (e.motivazioni.length) {
      var note = document.createElement("ul"); note.className = "small";
      e.motivazioni.forEach(function (m) { note.appendChild(testo("li", m)); });
      vivo.appendChild(testo("p", "Note per 10.a:")); vivo.appendChild(note);
    }
  }
  function calcola() {
    fetch(form.dataset.esitoUrl, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                  headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(mostra)
      .catch(function () {});
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(calcola, 300); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(calcola, 100); });
})();
