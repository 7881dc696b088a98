// Progressive enhancement of the server-rendered page; everything works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll(".show-more")) {
    button.addEventListener("click", () => {
      const expanded = button.getAttribute("aria-expanded") === "true";
      for (const item of button.parentElement.querySelectorAll("li.more")) item.hidden = expanded;
      button.setAttribute("aria-expanded", String(!expanded));
      button.textContent = expanded ? "Show more" : "Show fewer";
    });
  }
});
