// File inputs of the console (macro m.file): show the chosen file's name beside "Scegli il file".
(function () {
  document.querySelectorAll("input.upload[type=file]").forEach(function (input) {
    var nome = document.getElementById(input.id + "-scelto");
    if (!nome) return;
    function mostra() {
      var scelti = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
      nome.textContent = scelti.length ? "File scelto: " + scelti.join(", ") : nome.dataset.vuoto;
    }
    input.addEventListener("change", mostra);
    mostra();
  });
})();
