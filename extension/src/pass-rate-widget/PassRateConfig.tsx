import * as React from "react";
import { TextField } from "azure-devops-ui/TextField";
import { LinkPicker, NumberPicker, ConfigPanel, ChoicePicker } from "../common/widgets/config";
import type { ConfigViewProps } from "../common/widgets/runtime";
import { ORIGIN_LABEL, ORIGINS, type PassRateSettings } from "../common/widgets/settings";
import { FormField } from "../common/ui";

/** The pass-rate widget's options: Boards link (or the whole project), N runs, origin, test path prefix. */
export function PassRateConfig({ settings, page, onChange }: ConfigViewProps<PassRateSettings>) {
  const [s, setS] = React.useState(settings);
  const [prefix, setPrefix] = React.useState(settings.pathPrefix ?? "");
  const change = (next: PassRateSettings) => {
    setS(next);
    onChange(next);
  };
  const prefixError = prefix.length > 1000 ? "At most 1000 characters" : undefined;
  return (
    <ConfigPanel>
      <LinkPicker page={page} value={s.linkId} optional onChange={(linkId) => change({ ...s, linkId })} />
      <NumberPicker label="Runs" value={s.runs} options={[3, 5, 10, 20, 30, 50]} onChange={(runs) => change({ ...s, runs })} />
      <ChoicePicker
        label="Source"
        value={s.origin ?? "all"}
        items={[{ id: "all", text: "All sources" }, ...ORIGINS.map((o) => ({ id: o, text: ORIGIN_LABEL[o] }))]}
        onChange={(id) => change({ ...s, origin: id === "all" ? undefined : (id as PassRateSettings["origin"]) })}
      />
      <FormField label="Test path prefix" error={prefixError} help="Only tests whose path starts with this, e.g. Test Suites/Login">
        <TextField
          ariaLabel="Test path prefix"
          value={prefix}
          placeholder="All tests"
          onChange={(_e, v) => {
            setPrefix(v);
            const t = v.trim();
            if (t.length <= 1000) change({ ...s, pathPrefix: t || undefined });
          }}
        />
      </FormField>
    </ConfigPanel>
  );
}
