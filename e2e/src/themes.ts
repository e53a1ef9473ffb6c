// Theme data the host sends in the handshake and in themeChanged events. The variable names are the
// real ones azure-devops-ui reads (its buildScripts/cssDefaults.json is the light theme Azure DevOps
// ships). Microsoft publishes no dark theme file, so dark is derived here: neutrals inverted onto a
// dark base, black alphas turned into white alphas, pastel status colours turned into deep tints.
import { readFileSync } from "node:fs";
import path from "node:path";

export type ThemeName = "light" | "dark";
export type ThemeData = Record<string, string>;

const DEFAULTS = path.resolve(__dirname, "../../node_modules/azure-devops-ui/buildScripts/cssDefaults.json");

export function lightTheme(): ThemeData {
  return JSON.parse(readFileSync(DEFAULTS, "utf8")) as ThemeData;
}

/** Maps a light neutral channel (255 = white) onto the dark ramp (255 → 32, 0 → 255). */
const darkNeutral = (v: number) => Math.round(32 + ((255 - v) * 223) / 255);

export function darkTheme(light: ThemeData = lightTheme()): ThemeData {
  const dark: ThemeData = {};
  for (const [name, value] of Object.entries(light)) {
    let v = value;
    const neutral = /^palette-neutral-\d+$/.test(name) ? /^(\d+), (\d+), (\d+)$/.exec(value) : null;
    if (neutral)
      v = neutral
        .slice(1, 4)
        .map((c) => darkNeutral(Number(c)))
        .join(", ");
    else if (name.startsWith("palette-black-alpha-")) v = value.replace(/rgba\(0, 0, 0,/, "rgba(255, 255, 255,");
    else if (/^rgba\(0, 0, 0, ?[.\d]+\)$/.test(value)) v = value.replace(/rgba\(0, 0, 0,/, "rgba(255, 255, 255,");
    dark[name] = v;
  }
  return {
    ...dark,
    "palette-primary-tint-10": "56, 150, 228",
    "palette-primary-tint-20": "20, 63, 100",
    "palette-primary-tint-30": "16, 48, 77",
    "palette-primary-tint-40": "13, 36, 56",
    "communication-foreground": "rgba(80, 160, 235, 1)",
    "background-color": "rgba(32, 32, 32, 1)",
    "callout-background-color": "rgba(44, 44, 44, 1)",
    "callout-filtered-background-color": "rgba(44, 44, 44, 0.86)",
    "callout-shadow-color": "rgba(0, 0, 0, .4)",
    "callout-shadow-secondary-color": "rgba(0, 0, 0, .3)",
    "panel-shadow-color": "rgba(0, 0, 0, .5)",
    "panel-shadow-secondary-color": "rgba(0, 0, 0, .4)",
    "text-primary-color": "rgba(255, 255, 255, .9)",
    "text-secondary-color": "rgba(255, 255, 255, .6)",
    "text-disabled-color": "rgba(255, 255, 255, .38)",
    "border-subtle-color": "rgba(255, 255, 255, .1)",
    "status-error-background": "rgba(68, 39, 38, 1)",
    "status-error-text": "rgba(241, 112, 123, 1)",
    "status-error-strong": "rgba(241, 112, 123, 1)",
    "status-success-background": "rgba(40, 56, 30, 1)",
    "status-warning-background": "rgba(67, 53, 25, 1)",
    "status-warning-text": "rgba(252, 225, 0, 1)",
    "component-menu-selected-item-background": "rgba(60, 60, 60, 1)",
    "component-errorBoundary-background-color": "rgba(68, 39, 38, 1)",
    "component-grid-selected-row-color": "rgba(20, 63, 100, 1)",
    "component-grid-link-selected-row-color": "rgba(80, 160, 235, 1)",
    "component-grid-link-hover-color": "rgba(80, 160, 235, 1)",
    "component-grid-action-hover-color": "rgba(60, 60, 60, 1)",
    "component-grid-action-selected-cell-hover-color": "rgba(20, 63, 100, 1)",
    "component-grid-cell-bottom-border-color": "rgba(60, 60, 60, 1)",
    "component-grid-drag-source-color": "rgba(0, 0, 0, 0.40)",
    "component-label-default-color": "rgba(60, 60, 60, 1)",
    "component-label-default-color-hover": "rgba(80, 80, 80, 1)",
    "component-htmlEditor-background-color": "rgba(32, 32, 32, 1)",
    "component-htmlEditor-foreground-color": "rgba(255, 255, 255, 0.9)",
    "nav-header-background": "rgba(44, 44, 44, 1)",
    "nav-header-product-color": "rgba(80, 160, 235, 1)",
    "third-party-icon-filter": "invert(100%)",
  };
}

export function themes(): Record<ThemeName, ThemeData> {
  const light = lightTheme();
  return { light, dark: darkTheme(light) };
}
