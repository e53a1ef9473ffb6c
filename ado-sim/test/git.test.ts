import { createHash } from "node:crypto";
import { unzipSync } from "fflate";
import { client, demoSim } from "./helpers";

const sha1 = (type: string, data: Buffer) => createHash("sha1").update(`${type} ${data.length}\0`).update(data).digest("hex");

describe("git", () => {
  const sim = demoSim({ seed: { generatedKatalon: { testCases: 40, traps: true } } });
  const c = client(sim);
  const R = "/Fabrikam Fiber/_apis/git/repositories/katalon-ci-samples";

  test("items, trees and blobs are consistent real git objects", async () => {
    const items = await c.get(
      `${R}/items?scopePath=/&recursionLevel=Full&versionDescriptor.version=main&versionDescriptor.versionType=branch`,
    );
    expect(items.status).toBe(200);
    const tc = items.json.value.find((i: { path: string }) => i.path === "/Test Cases/Main Test Cases/TC1_Verify Successful Login.tc");
    expect(tc.gitObjectType).toBe("blob");
    const raw = await sim.fetch(`https://dev.azure.com/fabrikam${R}/blobs/${tc.objectId}?api-version=7.1&$format=octetstream`, {
      headers: client(sim) && {
        Authorization: `Basic ${Buffer.from(":simadminpat000000000000000000000000000000000000000a").toString("base64")}`,
      },
    });
    const bytes = Buffer.from(await raw.arrayBuffer());
    expect(sha1("blob", bytes)).toBe(tc.objectId);
    expect(bytes.toString("utf8")).toContain("<TestCaseEntity>");
    const commit = (await c.get(`${R}/commits/${tc.commitId}`)).json;
    const tree = await c.get(`${R}/trees/${commit.treeId}?recursive=true`);
    const entry = tree.json.treeEntries.find(
      (e: { relativePath: string }) => e.relativePath === "Test Cases/Main Test Cases/TC1_Verify Successful Login.tc",
    );
    expect(entry.objectId).toBe(tc.objectId);
    expect(tree.json.treeEntries.find((e: { relativePath: string }) => e.relativePath === "Test Cases").mode).toBe("40000");
    const content = await c.get(`${R}/items?path=/test.prj&includeContent=true&$format=json`);
    expect(content.json.content).toContain("<Project>");
  });

  test("item paths are case-sensitive, like git", async () => {
    expect((await c.get(`${R}/items?path=/Test Cases&recursionLevel=OneLevel`)).status).toBe(200);
    const wrong = await c.get(`${R}/items?path=/test cases&recursionLevel=OneLevel`);
    expect(wrong.status).toBe(404);
    expect(wrong.json.message).toContain("TF401174");
    expect((await c.get(`${R}/items?path=/TEST.PRJ&includeContent=true&$format=json`)).status).toBe(404);
  });

  test("blobs as zip (POST) and a folder as zip", async () => {
    const items = (await c.get(`${R}/items?scopePath=/Test Suites&recursionLevel=Full`)).json.value.filter(
      (i: { isFolder?: boolean }) => !i.isFolder,
    );
    const ids = items.map((i: { objectId: string }) => i.objectId);
    const res = await sim.fetch(`https://dev.azure.com/fabrikam${R}/blobs?api-version=7.1`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from(":simadminpat000000000000000000000000000000000000000a").toString("base64")}`,
        "content-type": "application/json",
        accept: "application/zip",
      },
      body: JSON.stringify(ids),
    });
    expect(res.headers.get("content-type")).toBe("application/zip");
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual([...ids].sort());
    const folder = await sim.fetch(`https://dev.azure.com/fabrikam${R}/items?path=/Test Cases&$format=zip&api-version=7.1`, {
      headers: { Authorization: `Basic ${Buffer.from(":simadminpat000000000000000000000000000000000000000a").toString("base64")}` },
    });
    const zipped = unzipSync(new Uint8Array(await folder.arrayBuffer()));
    expect(Object.keys(zipped)).toContain("Test Cases/Common Test Cases/Login.tc");
  });

  test("a helper push changes the repo; diffs show add/edit/delete/rename", async () => {
    const before = (await c.get(`${R}/refs?filter=heads/main`)).json.value[0].objectId;
    const commit = sim.pushCommit("fabrikam", "Fabrikam Fiber", "katalon-ci-samples", {
      branch: "main",
      comment: "Rework tests",
      changes: [
        { path: "/Test Cases/New/TC9.tc", content: "<TestCaseEntity><name>TC9</name></TestCaseEntity>", changeType: "add" },
        { path: "/test.prj", content: "<Project><name>changed</name></Project>", changeType: "edit" },
        { path: "/GlobalVariables.glbl", changeType: "delete" },
        {
          path: "/Test Cases/Common Test Cases/Login renamed.tc",
          sourcePath: "/Test Cases/Common Test Cases/Login.tc",
          changeType: "rename",
        },
      ],
    });
    expect(commit.parents).toEqual([before]);
    const diff = await c.get(
      `${R}/diffs/commits?baseVersion=${before}&baseVersionType=commit&targetVersion=${commit.commitId}&targetVersionType=commit`,
    );
    const blobs = diff.json.changes.filter((x: { item: { gitObjectType: string } }) => x.item.gitObjectType === "blob");
    const byPath = Object.fromEntries(blobs.map((x: { item: { path: string }; changeType: string }) => [x.item.path, x.changeType]));
    expect(byPath).toEqual({
      "/Test Cases/New/TC9.tc": "add",
      "/test.prj": "edit",
      "/GlobalVariables.glbl": "delete",
      "/Test Cases/Common Test Cases/Login renamed.tc": "rename",
    });
    expect(diff.json.changeCounts).toEqual({ Add: 1, Edit: 1, Delete: 1, Rename: 1 });
    expect(blobs.find((x: { changeType: string }) => x.changeType === "rename").originalPath).toBe(
      "/Test Cases/Common Test Cases/Login.tc",
    );
    expect(
      diff.json.changes.some(
        (x: { item: { path: string; isFolder?: boolean }; changeType: string }) =>
          x.item.path === "/Test Cases/New" && x.item.isFolder && x.changeType === "add",
      ),
    ).toBe(true);
    const history = await c.get(`${R}/commits?searchCriteria.itemVersion.version=main`);
    expect(history.json.value[0].commitId).toBe(commit.commitId);
  });

  test("push through the API with a stale oldObjectId → 409", async () => {
    const res = await c.post(`${R}/pushes`, {
      refUpdates: [{ name: "refs/heads/main", oldObjectId: "0".repeat(39) + "1" }],
      commits: [
        { comment: "x", changes: [{ changeType: "add", item: { path: "/x.txt" }, newContent: { content: "x", contentType: "rawtext" } }] },
      ],
    });
    expect(res.status).toBe(409);
    expect(res.json.message).toMatch(/^TF401028/);
    const newBranch = await c.post(`${R}/pushes`, {
      refUpdates: [{ name: "refs/heads/feature/x", oldObjectId: "0".repeat(40) }],
      commits: [
        {
          comment: "new branch",
          changes: [{ changeType: "add", item: { path: "/only.txt" }, newContent: { content: "aGk=", contentType: "base64encoded" } }],
        },
      ],
    });
    expect(newBranch.status).toBe(201);
    const file = await c.get(`${R}/items?path=/only.txt&versionDescriptor.version=feature/x&includeContent=true&$format=json`);
    expect(file.json.content).toBe("hi");
  });

  test("generated Katalon project with traps", async () => {
    const G = "/Fabrikam Fiber/_apis/git/repositories/katalon-generated";
    const all = (await c.get(`${G}/items?scopePath=/&recursionLevel=Full`)).json.value.map((i: { path: string }) => i.path);
    expect(all.filter((p: string) => p.startsWith("/Test Cases/") && p.endsWith(".tc")).length).toBeGreaterThanOrEqual(40);
    expect(all.filter((p: string) => p.endsWith(".prj"))).toHaveLength(2);
    expect(all).toContain("/test-cases/cloud_first_test_case.ks.ts");
    expect(all.some((p: string) => p.length > 200 && /μm/.test(p))).toBe(true);
    const crlf = await c.get(`${G}/items?path=/Test Cases/Another Cases/Logout CRLF.tc&includeContent=true&$format=json`);
    expect(crlf.json.content).toContain("\r\n");
    const script = all.find((p: string) => /^\/Scripts\/Login\/TC0001 .*\/Script\d{13}\.groovy$/.test(p));
    expect(script).toBeDefined();
  });
});
