import { register } from "node:module";

register("./source-loader.mjs", import.meta.url);
