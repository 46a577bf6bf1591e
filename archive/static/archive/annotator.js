/*
 * The annotation tool on the article change page.
 *
 * Renders the article body with its testimonies and annotations highlighted, and turns a mouse
 * selection into a W3C TextQuote + TextPosition selector for the "Annotate" and "Record
 * testimony" forms.
 *
 * Offsets are counted in Unicode code points, as Python indexes a str: JavaScript strings count
 * UTF-16 code units, in which a character outside the Basic Multilingual Plane (an emoji, some
 * CJK) takes two. Every count here goes through Array.from(), which splits by code point.
 */
(function () {
  "use strict";

  // As archive/text.py CONTEXT_CHARS: the TextQuote prefix/suffix length.
  const CONTEXT_CHARS = 32;

  function codePoints(text) {
    return Array.from(text);
  }

  function render(holder, chars, anchors) {
    const bounds = new Set([0, chars.length]);
    for (const anchor of anchors) {
      bounds.add(Math.max(0, Math.min(anchor.start, chars.length)));
      bounds.add(Math.max(0, Math.min(anchor.end, chars.length)));
    }
    const points = Array.from(bounds).sort((a, b) => a - b);
    holder.textContent = "";
    for (let i = 0; i < points.length - 1; i++) {
      const start = points[i];
      const end = points[i + 1];
      const text = chars.slice(start, end).join("");
      const covering = anchors.filter((a) => a.start <= start && a.end >= end);
      if (!covering.length) {
        holder.appendChild(document.createTextNode(text));
        continue;
      }
      const mark = document.createElement("mark");
      const kinds = new Set(covering.map((a) => a.kind));
      mark.className = ["anchor", ...kinds].join(" ");
      mark.title = covering.map((a) => a.title).join("\n");
      mark.dataset.start = String(start);
      mark.dataset.end = String(end);
      if (covering.length === 1 && covering[0].url) {
        mark.dataset.url = covering[0].url;
      }
      mark.textContent = text;
      holder.appendChild(mark);
    }
  }

  // Code points of the holder's text before (node, offset): the text of a Range from the start
  // of the holder to that point is exactly the body's prefix, since the holder holds only it.
  function offsetOf(holder, node, offset) {
    const range = document.createRange();
    range.selectNodeContents(holder);
    range.setEnd(node, offset);
    return codePoints(range.toString()).length;
  }

  function selectionIn(holder, chars) {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return null;
    }
    const range = selection.getRangeAt(0);
    if (!holder.contains(range.startContainer) || !holder.contains(range.endContainer)) {
      return null;
    }
    const start = offsetOf(holder, range.startContainer, range.startOffset);
    const end = offsetOf(holder, range.endContainer, range.endOffset);
    if (end <= start) {
      return null;
    }
    return {
      start: start,
      end: end,
      exact: chars.slice(start, end).join(""),
      prefix: chars.slice(Math.max(0, start - CONTEXT_CHARS), start).join(""),
      suffix: chars.slice(end, end + CONTEXT_CHARS).join(""),
      rect: range.getBoundingClientRect(),
    };
  }

  function init() {
    const holder = document.getElementById("annotator");
    const dataNode = document.getElementById("annotator-data");
    const toolbar = document.getElementById("annotator-toolbar");
    if (!holder || !dataNode || !toolbar) {
      return;
    }
    const data = JSON.parse(dataNode.textContent);
    const chars = codePoints(data.body);
    render(holder, chars, data.anchors || []);
    let current = null;

    function hide() {
      toolbar.hidden = true;
      current = null;
    }

    function update() {
      current = selectionIn(holder, chars);
      if (!current) {
        toolbar.hidden = true;
        return;
      }
      toolbar.hidden = false;
      // Placed just under the selection, relative to the positioned fieldset around the text.
      const box = (toolbar.offsetParent || holder).getBoundingClientRect();
      toolbar.style.top = `${current.rect.bottom - box.top + 4}px`;
      toolbar.style.left = `${Math.max(0, current.rect.left - box.left)}px`;
    }

    // After mouseup/keyup the selection is final; a tick later lets the browser settle it.
    holder.addEventListener("mouseup", () => window.setTimeout(update, 0));
    holder.addEventListener("keyup", () => window.setTimeout(update, 0));
    document.addEventListener("mousedown", (event) => {
      if (!toolbar.contains(event.target) && !holder.contains(event.target)) {
        hide();
      }
    });

    toolbar.addEventListener("mousedown", (event) => event.preventDefault());
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-target]");
      if (!button || !current) {
        return;
      }
      const base = data[button.dataset.target];
      const params = new URLSearchParams({
        start: String(current.start),
        end: String(current.end),
        exact: current.exact,
        prefix: current.prefix,
        suffix: current.suffix,
      });
      window.location.assign(`${base}?${params.toString()}`);
    });

    // Ctrl/Cmd-click on a highlight opens its testimony or annotation in a new tab.
    holder.addEventListener("click", (event) => {
      const mark = event.target.closest("mark[data-url]");
      if (mark && (event.ctrlKey || event.metaKey)) {
        window.open(mark.dataset.url, "_blank", "noopener");
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
