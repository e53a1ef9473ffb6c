import * as React from "react";
import { act, render, screen } from "@testing-library/react";
import { preloadable } from "../src/common/lazy";

const Panel = ({ title }: { title: string }) => <div>panel {title}</div>;

describe("preloadable", () => {
  it("shows the fallback while a chunk that was not preloaded loads", async () => {
    let resolve!: (c: typeof Panel) => void;
    const { Component } = preloadable(() => new Promise<typeof Panel>((r) => (resolve = r)));
    render(
      <React.Suspense fallback={<div>loading</div>}>
        <Component title="a" />
      </React.Suspense>,
    );
    expect(screen.getByText("loading")).toBeTruthy();
    await act(async () => resolve(Panel));
    expect(await screen.findByText("panel a")).toBeTruthy();
  });

  it("renders a preloaded chunk at once, without the fallback (no loading panel flashes)", async () => {
    let loads = 0;
    const { Component, preload } = preloadable(async () => {
      loads++;
      return Panel;
    });
    await preload();
    await preload();
    const seen: string[] = [];
    const Fallback = () => {
      seen.push("fallback");
      return <div>loading</div>;
    };
    render(
      <React.Suspense fallback={<Fallback />}>
        <Component title="b" />
      </React.Suspense>,
    );
    // Synchronously, on the first render: nothing awaited between render and this line.
    expect(screen.getByText("panel b")).toBeTruthy();
    expect(seen).toEqual([]);
    expect(loads).toBe(1);
  });

  it("tries a failed load again on the next preload", async () => {
    let calls = 0;
    const { preload } = preloadable(async () => {
      if (++calls === 1) throw new Error("network");
      return Panel;
    });
    await expect(preload()).rejects.toThrow("network");
    await expect(preload()).resolves.toBe(Panel);
    expect(calls).toBe(2);
  });
});
