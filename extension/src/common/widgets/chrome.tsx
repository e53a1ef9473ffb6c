import * as React from "react";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Spinner, SpinnerSize } from "azure-devops-ui/Spinner";
import { ZeroData } from "azure-devops-ui/ZeroData";
import type { Problem } from "./format";

/** The widget's box: its title (the name the team gave it) over its content, as Azure DevOps' own widgets. */
export function WidgetFrame({ title, subtitle, children }: { title: string; subtitle?: React.ReactNode; children: React.ReactNode }) {
  return (
    <section className="widget" aria-label={title}>
      <h2 className="widget-title title-s" title={title}>
        {title}
      </h2>
      {subtitle ? <div className="widget-subtitle secondary-text body-s">{subtitle}</div> : null}
      <div className="widget-body">{children}</div>
    </section>
  );
}

export function WidgetLoading() {
  return (
    <div className="flex-row justify-center widget-center">
      <Spinner size={SpinnerSize.medium} label="Loading…" />
    </div>
  );
}

/** Nothing to show, and why: a connection, a link, or simply no data yet. */
export function WidgetEmpty({ title, detail, kind }: { title: string; detail: string; kind: string }) {
  return (
    <div className="widget-empty" data-state={kind}>
      <ZeroData primaryText={title} secondaryText={detail} imageAltText="" className="widget-zero" />
    </div>
  );
}

export function WidgetProblem({ problem }: { problem: Problem }) {
  return <WidgetEmpty kind={problem.kind} title={problem.title} detail={problem.detail} />;
}

export function WidgetError({ error, onRetry }: { error: Error; onRetry: () => void }) {
  return (
    <MessageCard severity={MessageCardSeverity.Error} buttonProps={[{ text: "Retry", onClick: onRetry }]} className="widget-error">
      Could not load from TestOps: {error.message}
    </MessageCard>
  );
}

export type Data<T> = { state: "loading" } | { state: "ready"; value: T } | { state: "error"; error: Error };

/** The whole widget while its data loads, or after its call failed (with Retry). */
export function pendingFrame(title: string, data: Exclude<Data<unknown>, { state: "ready" }>, retry: () => void): React.ReactElement {
  return (
    <WidgetFrame title={title}>
      {data.state === "loading" ? <WidgetLoading /> : <WidgetError error={data.error} onRetry={retry} />}
    </WidgetFrame>
  );
}

/** Loads the widget's data once per mount (a reload remounts), and reports when it settled. */
export function useWidgetData<T>(load: () => Promise<T>, onSettled: (state: string) => void): [Data<T>, () => void] {
  const [data, setData] = React.useState<Data<T>>({ state: "loading" });
  const [tick, setTick] = React.useState(0);
  React.useEffect(() => {
    let live = true;
    setData({ state: "loading" });
    load().then(
      (value) => live && setData({ state: "ready", value }),
      (error: Error) => live && setData({ state: "error", error }),
    );
    return () => {
      live = false;
    };
  }, [tick]);
  React.useEffect(() => {
    if (data.state !== "loading") onSettled(data.state);
  }, [data.state]);
  return [data, () => setTick((t) => t + 1)];
}
