// console-app.js runs in the browser; the broker imports it as text (assets.ts) to serve it.
declare const text: string;
export default text;
