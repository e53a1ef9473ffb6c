import * as React from "react";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Status, Statuses, StatusSize } from "azure-devops-ui/Status";
import type { TestResult } from "@testops/backend/schemas/connections";

const OUTCOME_TITLE: Record<TestResult["outcome"], string> = {
  ok: "Connection works",
  bad_credentials: "The PAT was rejected",
  wrong_organization: "Wrong organization",
  unreachable: "Azure DevOps could not be reached",
  throttled: "Azure DevOps is throttling requests",
  unavailable: "Azure DevOps could not answer",
};

/** Test Connection's answer: the outcome, whose PAT it is, and what each feature can do with it. */
export function TestResultView({ result }: { result: TestResult }) {
  const ok = result.outcome === "ok";
  const allAllowed = ok && result.features.every((f) => f.allowed === true);
  return (
    <div className="testops-test-result" role="region" aria-label="Test connection result">
      <MessageCard
        severity={!ok ? MessageCardSeverity.Error : allAllowed ? MessageCardSeverity.Info : MessageCardSeverity.Warning}
        className="flex-self-stretch"
      >
        <div>
          <strong>{OUTCOME_TITLE[result.outcome]}.</strong> {result.message}
          {result.user?.uniqueName ? ` (${result.user.uniqueName})` : ""}
        </div>
      </MessageCard>
      {result.features.length > 0 && (
        <table className="testops-table" aria-label="Features this PAT allows">
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">Allowed</th>
              <th scope="col">What is missing</th>
            </tr>
          </thead>
          <tbody>
            {result.features.map((f) => (
              <tr key={f.feature} data-feature={f.feature}>
                <th scope="row">{f.label}</th>
                <td>
                  <span className="flex-row flex-center">
                    <Status
                      {...(f.allowed === true ? Statuses.Success : f.allowed === false ? Statuses.Failed : Statuses.Warning)}
                      size={StatusSize.s}
                      ariaLabel={f.allowed === true ? "Allowed" : f.allowed === false ? "Not allowed" : "Unknown"}
                    />
                    <span className="margin-left-4">{f.allowed === true ? "Yes" : f.allowed === false ? "No" : "Unknown"}</span>
                  </span>
                </td>
                <td>
                  {f.missing.length > 0 && (
                    <ul className="testops-missing">
                      {f.missing.map((m) => (
                        <li key={m.name}>
                          {m.label}
                          {m.kind === "scope" && <code className="margin-left-4">{m.name}</code>}
                        </li>
                      ))}
                    </ul>
                  )}
                  {f.allowed === null && f.detail && <span className="testops-muted">{f.detail}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
