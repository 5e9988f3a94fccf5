/**
 * The one function of `pinyin-pro` the keyword folds use, on its own module: `readings.ts` imports
 * this module dynamically, so a bundler keeps only what `polyphonic` needs (not the word
 * dictionaries of the library's context-aware conversion) and a Worker evaluates it only when a
 * list asks for a fold that needs it.
 */
export { polyphonic } from "pinyin-pro";
