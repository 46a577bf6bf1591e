/*
 * Drag handles for the items of a collection: dragging a row renumbers the "order" inputs top to
 * bottom; saving the form hands that order to services.collection_reorder. Typing numbers works
 * without this script too.
 */
(function () {
  "use strict";

  function renumber(body) {
    let n = 1;
    for (const row of body.querySelectorAll("tr.form-row:not(.empty-form)")) {
      const input = row.querySelector("input.collection-order");
      const target = row.querySelector("select, input[name$='-article'], input[name$='-testimony']");
      if (input && (input.value !== "" || (target && target.value))) {
        input.value = String(n++);
      }
    }
  }

  function init() {
    const body = document.querySelector(".collection-items table tbody");
    if (!body) {
      return;
    }
    let dragged = null;
    for (const row of body.querySelectorAll("tr.form-row:not(.empty-form)")) {
      const cell = row.querySelector("td.field-order");
      if (!cell) {
        continue;
      }
      const handle = document.createElement("span");
      handle.className = "drag-handle";
      handle.title = "Drag to reorder";
      handle.textContent = "⠿";
      cell.prepend(handle);
      row.draggable = true;
      row.addEventListener("dragstart", (event) => {
        dragged = row;
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
      });
      row.addEventListener("dragend", () => {
        row.classList.remove("dragging");
        dragged = null;
        renumber(body);
      });
      row.addEventListener("dragover", (event) => {
        if (!dragged || dragged === row) {
          return;
        }
        event.preventDefault();
        const box = row.getBoundingClientRect();
        const after = event.clientY > box.top + box.height / 2;
        body.insertBefore(dragged, after ? row.nextSibling : row);
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
