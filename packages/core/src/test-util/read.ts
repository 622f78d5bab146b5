export { readTree, type Read } from "../index.js";
