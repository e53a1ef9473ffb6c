import "azure-devops-ui/Core/override.css";
import "./common.css";
import * as React from "react";
import * as ReactDOM from "react-dom";
import { FormItem } from "azure-devops-ui/FormItem";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Spinner, SpinnerSize } from "azure-devops-ui/Spinner";
import { notifyFailed, notifyLoaded } from "./sdk";

/** Mounts a contribution's root; a render crash shows a message instead of a blank frame. */
export function showRoot(element: React.ReactElement): void {
  ReactDOM.render(<ErrorBoundary>{element}</ErrorBoundary>, document.getElementById("root"));
}

export class ErrorBoundary extends React.Component<{ children: React.ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidCatch(error: Error) {
    void notifyFailed(error);
  }
  override render() {
    if (this.state.error) {
      return (
        <MessageCard severity={MessageCardSeverity.Error} className="flex-self-stretch">
          Something went wrong: {this.state.error.message}
        </MessageCard>
      );
    }
    return this.props.children;
  }
}

export type Loadable<T> = { state: "loading" } | { state: "ready"; value: T } | { state: "error"; error: Error };

/** Runs an async loader once (or when deps change), tells the host the page is ready, and exposes its state. */
export function useLoad<T>(load: () => Promise<T>, deps: React.DependencyList = []): [Loadable<T>, () => void] {
  const [state, setState] = React.useState<Loadable<T>>({ state: "loading" });
  const [tick, setTick] = React.useState(0);
  React.useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setState({ state: "ready", value }),
      (error: Error) => live && setState({ state: "error", error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  React.useEffect(() => {
    if (state.state !== "loading") void notifyLoaded();
  }, [state.state]);
  return [state, () => setTick((t) => t + 1)];
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="flex-row justify-center padding-16">
      <Spinner size={SpinnerSize.large} label={label} />
    </div>
  );
}

export function ErrorCard({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  return (
    <MessageCard
      severity={MessageCardSeverity.Error}
      buttonProps={onRetry ? [{ text: "Retry", onClick: onRetry }] : undefined}
      className="flex-self-stretch"
    >
      {error.message}
    </MessageCard>
  );
}

/** A labelled form field: its error when it has one, else its help text, under it (inside a `.testops-form`). */
export function FormField({
  label,
  error,
  help,
  children,
}: {
  label: string;
  error?: string;
  help?: React.ReactNode;
  children: React.ReactElement;
}) {
  return (
    <FormItem label={label} error={!!error} message={error ?? help} className="testops-field">
      {children}
    </FormItem>
  );
}
