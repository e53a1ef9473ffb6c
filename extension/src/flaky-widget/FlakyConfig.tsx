import * as React from "react";
import { ChoicePicker, ConfigPanel, LinkPicker, NumberPicker } from "../common/widgets/config";
import type { ConfigViewProps } from "../common/widgets/runtime";
import type { FlakySettings } from "../common/widgets/settings";

/** The flaky widget's options: link (or the whole project), how many tests, ranked by failures or flips, window. */
export function FlakyConfig({ settings, page, onChange }: ConfigViewProps<FlakySettings>) {
  const [s, setS] = React.useState(settings);
  const change = (next: FlakySettings) => {
    setS(next);
    onChange(next);
  };
  return (
    <ConfigPanel>
      <LinkPicker page={page} value={s.linkId} optional onChange={(linkId) => change({ ...s, linkId })} />
      <ChoicePicker
        label="Rank by"
        value={s.by}
        items={[
          { id: "failures", text: "Most failures" },
          { id: "flakiness", text: "Most flaky (pass ⇄ fail flips)" },
        ]}
        onChange={(id) => change({ ...s, by: id === "flakiness" ? "flakiness" : "failures" })}
      />
      <NumberPicker label="Tests" value={s.top} options={[3, 5, 10, 20]} onChange={(top) => change({ ...s, top })} />
      <NumberPicker
        label="Window"
        help="Each test's last N results"
        value={s.runs}
        options={[5, 10, 20, 50]}
        onChange={(runs) => change({ ...s, runs })}
      />
    </ConfigPanel>
  );
}
