import "./style.css";
import { DEFAULT_BACKEND, useBackend } from "./backends.js";

await useBackend(DEFAULT_BACKEND);
document.querySelector("#app")!.textContent = "ok";
