import * as React from "react";
import { ChoicePicker, ConfigPanel, LinkPicker, useIterations, useLinks } from "../common/widgets/config";
import type { ConfigViewProps } from "../common/widgets/runtime";
import type { CoverageSettings } from "../common/widgets/settings";
import { ErrorCard, Loading } from "../common/ui";

/** The coverage widget's options: link, current sprint (the team's) or a chosen sprint or release, bar or donut. */
export function CoverageConfig({ settings, page, onChange }: ConfigViewProps<CoverageSettings>) {
  const [s, setS] = React.useState(settings);
  const change = (next: CoverageSettings) => {
    setS(next);
    onChange(next);
  };
  const [links] = useLinks(page);
  // Without a chosen link the widget counts the project's first one: the sprint list follows it.
  const linkId = s.linkId ?? (links.state === "ready" ? links.value[0]?.id : undefined);
  const [iterations, retry] = useIterations(page, linkId);
  const current = { id: "current", text: page.team ? `Current sprint of ${page.team.name}` : "Current sprint" };
  return (
    <ConfigPanel>
      <LinkPicker page={page} value={s.linkId} onChange={(id) => change({ ...s, linkId: id, scope: "current", iterationId: undefined })} />
      {iterations.state === "loading" ? (
        <Loading label="Loading releases and sprints…" />
      ) : iterations.state === "error" ? (
        <ErrorCard error={iterations.error} onRetry={retry} />
      ) : (
        <ChoicePicker
          label="Sprint or release"
          help="The current sprint follows the team's iterations"
          value={s.scope === "current" ? "current" : (s.iterationId ?? "current")}
          items={[current, ...iterations.value]}
          onChange={(id) => {
            const it = iterations.value.find((x) => x.id === id);
            // A sprint belongs to one link: keep that link with it, even if it was the default one.
            change(it ? { ...s, linkId, scope: it.kind, iterationId: it.id } : { ...s, scope: "current", iterationId: undefined });
          }}
        />
      )}
      <ChoicePicker
        label="Chart"
        value={s.chart}
        items={[
          { id: "bar", text: "Bars" },
          { id: "donut", text: "Donut" },
        ]}
        onChange={(id) => change({ ...s, chart: id === "donut" ? "donut" : "bar" })}
      />
    </ConfigPanel>
  );
}
