// The pieces of the widgets' configuration panels: pickers fed by the backend (Boards links, releases
// and sprints) and plain choices. Every pick is notified at once so the dashboard's preview follows.
import * as React from "react";
import type { BoardsLink, Plans } from "@testops/backend/schemas/boards";
import { Picker, type PickerItem } from "../../project-settings/boards/Picker";
import { unwrap } from "../api";
import { ErrorCard, FormField, Loading, useLoad } from "../ui";
import type { WidgetPage } from "./runtime";

export function ConfigPanel({ children }: { children: React.ReactNode }) {
  return <div className="widget-config testops-form">{children}</div>;
}

export function ChoicePicker(props: { label: string; value: string; items: PickerItem[]; onChange: (id: string) => void; help?: string }) {
  return (
    <FormField label={props.label} help={props.help}>
      <Picker label={props.label} items={props.items} value={props.value} onChange={props.onChange} />
    </FormField>
  );
}

export function NumberPicker(props: { label: string; value: number; options: number[]; onChange: (n: number) => void; help?: string }) {
  // The stored value stays selectable even when it is not one of the usual choices.
  const options = [...new Set([...props.options, props.value])].sort((a, b) => a - b);
  return (
    <ChoicePicker
      label={props.label}
      help={props.help}
      value={String(props.value)}
      items={options.map((n) => ({ id: String(n), text: String(n) }))}
      onChange={(id) => props.onChange(Number(id))}
    />
  );
}

/** The project's Boards links (archived ones left out). */
export function useLinks(page: WidgetPage) {
  return useLoad(async () => {
    const r = (await unwrap(await page.api.api.boards.links.$get({ query: { projectId: page.project.id } }))) as { links: BoardsLink[] };
    return r.links.filter((l) => !l.archived);
  }, [page]);
}

const linkText = (l: Pick<BoardsLink, "projectName" | "teamName" | "description">) =>
  [l.projectName, l.teamName, l.description].filter(Boolean).join(" · ");

/** Boards link picker; `optional` adds "Whole project" (no link filter). */
export function LinkPicker(props: { page: WidgetPage; value?: string; optional?: boolean; onChange: (id: string | undefined) => void }) {
  const [links, retry] = useLinks(props.page);
  if (links.state === "loading") return <Loading label="Loading Boards links…" />;
  if (links.state === "error") return <ErrorCard error={links.error} onRetry={retry} />;
  const items: PickerItem[] = [
    ...(props.optional ? [{ id: "", text: `Whole project (${props.page.project.name})` }] : []),
    ...links.value.map((l) => ({ id: l.id, text: linkText(l) })),
  ];
  if (!props.optional && !links.value.length)
    return (
      <FormField
        label="Boards link"
        error="This project has no Boards link yet: a project administrator creates one in Project settings → TestOps."
      >
        <span />
      </FormField>
    );
  const value = props.value ?? (props.optional ? "" : links.value[0]?.id);
  return (
    <ChoicePicker
      label="Boards link"
      help={props.optional ? "Count only tests linked to this link's requirements" : undefined}
      value={value ?? ""}
      items={items}
      onChange={(id) => props.onChange(id || undefined)}
    />
  );
}

export type Iteration = { id: string; kind: "release" | "sprint"; text: string };

/** The link's releases and sprints (from /api/boards/plans), releases with their sprints under them. */
export function useIterations(page: WidgetPage, linkId: string | undefined) {
  return useLoad(async (): Promise<Iteration[]> => {
    if (!linkId) return [];
    const plans = (await unwrap(await page.api.api.boards.plans.$get({ query: { projectId: page.project.id, linkId } }))) as Plans;
    return plans.releases.flatMap((r) => [
      { id: r.id, kind: "release" as const, text: r.name },
      ...r.sprints.map((s) => ({ id: s.id, kind: "sprint" as const, text: `${r.name} › ${s.name}` })),
    ]);
  }, [page, linkId]);
}
