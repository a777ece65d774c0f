// Live esito of the combustion test: after each change the form is sent to the console's JSON
// endpoint (the same rules as POST /ispettore/esito) and the panel is redrawn. Without
// JavaScript the "Calcola l'esito" button posts the form and the page shows the same panel.
// The form's values to the console's JSON endpoint (nothing is written there); `mostra` redraws.
function curitEsitoVivo(form, mostra) {
  var timer = null;
  function calcola() {
    fetch(form.dataset.esitoUrl, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                  headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(mostra)
      .catch(function () {});
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(calcola, 300); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(calcola, 100); });
}

(function () {
  var form = document.getElementById("modulo-prova");
  if (!form) return;
  var vivo = document.getElementById("esito-vivo");
  var NOMI = {"1.p": "1.p volumetria", "4.b": "4.b compilazione libretto di centrale", "4.c": "4.c esame del locale",
    "5.b": "5.b compilazione libretto", "7": "7 intera sezione delle misure", "7.a": "7.a Bacharach",
    "7.b": "7.b misure di combustione", "7.c": "7.c tiraggio", "8.b": "8.b CO", "8.c": "8.c Bacharach",
    "8.d": "8.d rendimento", "9": "9 esito", "10.b": "10.b codici di non conformità"};
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
  curitEsitoVivo(form, mostra);
})();

// Rapporto di prova A / B: choosing a registered instrument fills its marca, modello and matricola
// (they stay editable); without JavaScript the server fills the fields left empty.
(function () {
  document.querySelectorAll("select[data-strumento]").forEach(function (sel) {
    sel.addEventListener("change", function () {
      var gruppo = sel.closest("fieldset") || document;
      var t = gruppo.querySelector('template.strumento-registrato[data-id="' + sel.value + '"]');
      if (!t) return;
      ["marca", "modello", "matricola"].forEach(function (k) {
        var campo = document.getElementById(sel.dataset.strumento + k);
        if (campo) campo.value = t.dataset[k];
      });
    });
  });
})();

// Rapporto di prova B: each generator's esito and the rapporto's overall esito follow the typing
// (the console's JSON endpoint, the same rules as POST /ispettore/esito); without JavaScript the
// page shows them after "Aggiungi un generatore" or a refused issue.
(function () {
  var form = document.getElementById("modulo-rapporto-b");
  if (!form) return;
  var NOMI = {"1.p": "1.p volumetria", "4.b": "4.b compilazione libretto di centrale", "7": "7 intera sezione delle misure",
    "7.a": "7.a Bacharach", "7.b": "7.b misure di combustione", "7.c": "7.c tiraggio", "8.b": "8.b CO",
    "8.c": "8.c Bacharach", "8.d": "8.d rendimento", "9": "9 esito", "10.b": "10.b codici di non conformità"};
  function el(tag, t, id, cls) {
    var e = document.createElement(tag); e.textContent = t; if (id) e.id = id; if (cls) e.className = cls; return e;
  }
  function riga(dl, nome, valore, id) {
    dl.appendChild(el("dt", nome, null, "col-7")); dl.appendChild(el("dd", valore, id, "col-5"));
  }
  function generatore(g) {
    var box = document.getElementById("esito-g" + g.n);
    if (!box) return;
    box.textContent = "";
    var n = g.n, e = g.esito;
    if (!e) {
      box.appendChild(el("p", "Completare o correggere:", "esito-valore-g" + n, "mb-1"));
      var ul = el("ul", "", null, "small text-danger mb-0");
      Object.keys(g.errori || {}).forEach(function (k) { ul.appendChild(el("li", g.errori[k])); });
      box.appendChild(ul);
      return;
    }
    var titolo = e.esito === "9.a" ? "9.a · positivo" : e.esito === "9.b" ? "9.b · negativo" : "Esito barrato: prova non eseguibile";
    box.appendChild(el("p", titolo, "esito-valore-g" + n, "h5 mb-1"));
    var dl = el("dl", "", null, "row small mb-0");
    riga(dl, "η min", e.eta_min || "—", "v-g" + n + "-eta_min");
    riga(dl, "η rilevato + 2", e.eta_rilevato_piu_2 || "—", "v-g" + n + "-eta_rilevato_piu_2");
    riga(dl, "CO corretto (ppm)", (e.co_corretto_ppm === null ? "—" : String(e.co_corretto_ppm))
      + (e.co_regolare === null ? "" : " · " + (e.co_regolare ? "regolare" : "irregolare")), "v-g" + n + "-co_corretto_ppm");
    riga(dl, "Bacharach", e.bacharach_ok === true ? "entro il limite" : e.bacharach_ok === false ? "oltre il limite" : "—");
    box.appendChild(dl);
    if (e.punti_non_conformi.length) box.appendChild(el("p", "Punti non conformi: " + e.punti_non_conformi.join(", "), null, "small mb-1"));
    if (e.campi_barrati.length) {
      box.appendChild(el("p", "Campi barrati: " + e.campi_barrati.map(function (c) { return NOMI[c] || c; }).join("; "),
                         "v-g" + n + "-barrati", "small mb-1"));
    }
  }
  function mostra(r) {
    (r.generatori || []).forEach(generatore);
    var c = r.esito_complessivo, p = document.getElementById("esito-complessivo");
    if (p) {
      p.textContent = c === "9.a" ? "9.a · positivo: tutti i generatori rientrano nei termini di legge"
        : c === "9.b" ? "9.b · negativo: almeno un generatore non rientra nei termini di legge"
        : c ? "Esito barrato" : "Da calcolare: completare le prove dei generatori.";
    }
  }
  curitEsitoVivo(form, mostra);
})();
