// WGSL files are imported as text (`?raw`); Vite inlines them in every build.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
