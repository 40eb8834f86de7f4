// Stylesheets imported with { type: "text" } (assets.ts) are their text.
declare module "*.css" {
  const text: string;
  export default text;
}
