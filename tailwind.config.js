/**
 * Tailwind CSS 3 configuration for Dossier.
 *
 * The built stylesheet (static/css/app.css) is committed, so running the app needs
 * no Node; `make css` rebuilds it and `make check-generated` fails CI when it drifts.
 * Class names are found by scanning the templ sources, the generated *_templ.go
 * files, handlers (for classes chosen in Go) and any hand-written JS.
 *
 * @type {import('tailwindcss').Config}
 */
const defaultTheme = require("tailwindcss/defaultTheme");
const colors = require("tailwindcss/colors");

module.exports = {
  content: [
    "./views/**/*.templ",
    "./views/**/*_templ.go",
    "./handlers/**/*.go",
    "./static/js/**/*.js",
  ],
  // Status classes are often chosen from data (e.g. "badge-" + status), so keep them
  // even if no source spells them out in full.
  safelist: [
    "badge-queued",
    "badge-processing",
    "badge-completed",
    "badge-failed",
    "badge-cancelled",
    "badge-pending",
    "badge-generating",
    "badge-skipped",
    // Progress bars set their width by class (ProgressWidth in
    // views/partials), because the Content-Security-Policy allows no inline
    // style attributes.
    { pattern: /^w-pct-(\d|[1-9]\d|100)$/ },
  ],
  theme: {
    extend: {
      colors: {
        // The Dossier brand: a calm indigo for actions and links, on slate neutrals.
        brand: {
          50: "#eef2ff",
          100: "#e0e7ff",
          200: "#c7d2fe",
          300: "#a5b4fc",
          400: "#818cf8",
          500: "#6366f1",
          600: "#4f46e5",
          700: "#4338ca",
          800: "#3730a3",
          900: "#312e81",
          950: "#1e1b4b",
        },
        ink: colors.slate,
        // Semantic aliases, so that views say what a colour means.
        success: colors.emerald,
        warning: colors.amber,
        danger: colors.rose,
        info: colors.sky,
      },
      fontFamily: {
        // System fonts only: no web-font downloads.
        sans: [
          "system-ui",
          "-apple-system",
          '"Segoe UI"',
          "Roboto",
          '"Helvetica Neue"',
          '"Noto Sans"',
          "Arial",
          "sans-serif",
          ...defaultTheme.fontFamily.sans.filter((f) => /emoji|symbol/i.test(f)),
        ],
        mono: [
          "ui-monospace",
          "SFMono-Regular",
          "Menlo",
          "Monaco",
          "Consolas",
          '"Liberation Mono"',
          '"Courier New"',
          "monospace",
        ],
      },
      boxShadow: {
        card: "0 1px 2px 0 rgb(15 23 42 / 0.05), 0 1px 3px 0 rgb(15 23 42 / 0.08)",
      },
      maxWidth: {
        doc: "72ch",
      },
      width: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`pct-${i}`, `${i}%`])),
      keyframes: {
        "progress-stripes": {
          from: { backgroundPosition: "1rem 0" },
          to: { backgroundPosition: "0 0" },
        },
      },
      animation: {
        "progress-stripes": "progress-stripes 1s linear infinite",
      },
    },
  },
  plugins: [
    // Both strategies: plain <input>/<select>/<textarea> get a sane reset, and the
    // form-input/form-checkbox/... classes are there too. .input in input.css builds on it.
    require("@tailwindcss/forms"),
  ],
};
