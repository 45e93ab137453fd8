import { type FormEvent, useCallback, useEffect, useId, useMemo, useState } from 'react';
import { Form } from 'react-aria-components';
import { Button } from '../components/button';
import { Dialog } from '../components/dialog';
import { Alert, Badge, Spinner } from '../components/display';
import { Checkbox, NumberField, Select, Switch, TextField } from '../components/fields';
import type { SettingsClient, SettingsFieldSpec, SettingsIssue, SettingsView } from './types';

/** Props of {@link ExtensionSettingsForm}. */
export interface ExtensionSettingsFormProps {
  /** The manifest's `settings` (e.g. `manifest.settings`). */
  manifestSettings: readonly SettingsFieldSpec[];
  /** Talks to the settings API, e.g. {@link createSettingsHttpClient}. */
  client: SettingsClient;
  /** Heading of the form (default "Settings"). */
  title?: string;
  /** Called after a successful save. */
  onSaved?: (view: SettingsView) => void;
  /** Called after a successful reset. */
  onReset?: (view: SettingsView) => void;
  /** Formats secret timestamps (default: the browser locale, medium date and short time). */
  formatDate?: (iso: string) => string;
}

type PlainValue = string | number | boolean | null;

const defaultFormat = (iso: string) =>
  new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(iso),
  );

function initialValue(field: SettingsFieldSpec, config: Record<string, unknown>): PlainValue {
  const stored = config[field.key];
  switch (field.kind) {
    case 'text':
      return typeof stored === 'string' ? stored : (field.default ?? '');
    case 'number':
      return typeof stored === 'number' ? stored : (field.default ?? null);
    case 'boolean':
      return typeof stored === 'boolean' ? stored : (field.default ?? false);
    case 'select':
      return typeof stored === 'string' ? stored : (field.default ?? null);
    case 'secret':
      return null;
  }
}

function fieldKey(issue: SettingsIssue): string {
  return issue.field.replace(/^(?:settings|config|secrets)\./, '');
}

function issuesOf(error: unknown): SettingsIssue[] | undefined {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return undefined;
  return issues.filter(
    (issue): issue is SettingsIssue =>
      typeof issue?.field === 'string' && typeof issue?.message === 'string',
  );
}

/**
 * The Extension Settings form: renders a manifest's `settings` (text, number, boolean,
 * select, secret), saves and resets through `client`, and shows server field errors beside
 * their fields (`aria-invalid`, `aria-describedby`). Secrets are write-only: the form shows
 * only "set / not set, updated at", an empty input keeps the stored value, and "Clear"
 * removes it.
 *
 * @example
 * ```tsx
 * <ExtensionSettingsForm
 *   manifestSettings={manifest.settings}
 *   client={createSettingsHttpClient({ tenantId, extensionId: manifest.name })}
 * />
 * ```
 */
export function ExtensionSettingsForm({
  manifestSettings,
  client,
  title = 'Settings',
  onSaved,
  onReset,
  formatDate = defaultFormat,
}: ExtensionSettingsFormProps) {
  const headingId = useId();
  const [view, setView] = useState<SettingsView | undefined>();
  const [values, setValues] = useState<Record<string, PlainValue>>({});
  const [secretInputs, setSecretInputs] = useState<Record<string, string>>({});
  const [clearSecrets, setClearSecrets] = useState<Record<string, boolean>>({});
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [status, setStatus] = useState<string>('');
  const [busy, setBusy] = useState<'load' | 'save' | 'reset' | undefined>('load');
  const [confirmReset, setConfirmReset] = useState(false);

  const plainFields = useMemo(
    () => manifestSettings.filter((f) => f.kind !== 'secret'),
    [manifestSettings],
  );
  const secretFields = useMemo(
    () => manifestSettings.filter((f) => f.kind === 'secret'),
    [manifestSettings],
  );
  const knownKeys = useMemo(() => new Set(manifestSettings.map((f) => f.key)), [manifestSettings]);

  const show = useCallback(
    (next: SettingsView) => {
      setView(next);
      setValues(Object.fromEntries(plainFields.map((f) => [f.key, initialValue(f, next.config)])));
      setSecretInputs({});
      setClearSecrets({});
      setFieldErrors({});
      setFormErrors([]);
    },
    [plainFields],
  );

  const fail = useCallback(
    (error: unknown) => {
      const issues = issuesOf(error);
      if (!issues) {
        setFieldErrors({});
        setFormErrors([error instanceof Error ? error.message : String(error)]);
        return;
      }
      const byField: Record<string, string> = {};
      const rest: string[] = [];
      for (const issue of issues) {
        const key = fieldKey(issue);
        if (knownKeys.has(key))
          byField[key] = byField[key] ? `${byField[key]}; ${issue.message}` : issue.message;
        else rest.push(`${issue.field}: ${issue.message}`);
      }
      setFieldErrors(byField);
      setFormErrors(rest);
    },
    [knownKeys],
  );

  useEffect(() => {
    let live = true;
    client.get().then(
      (loaded) => {
        if (!live) return;
        show(loaded);
        setBusy(undefined);
      },
      (error: unknown) => {
        if (!live) return;
        fail(error);
        setBusy(undefined);
      },
    );
    return () => {
      live = false;
    };
  }, [client, show, fail]);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const config: Record<string, unknown> = {};
    for (const field of plainFields) {
      const value = values[field.key] ?? null;
      config[field.key] = typeof value === 'number' && Number.isNaN(value) ? null : value;
    }
    const secrets: Record<string, string | null> = {};
    for (const field of secretFields) {
      if (clearSecrets[field.key]) secrets[field.key] = null;
      else if (secretInputs[field.key]) secrets[field.key] = secretInputs[field.key] as string;
    }
    setBusy('save');
    setStatus('');
    try {
      const saved = await client.save({ config, secrets });
      show(saved);
      setStatus('Settings saved.');
      onSaved?.(saved);
    } catch (error) {
      fail(error);
    } finally {
      setBusy(undefined);
    }
  };

  const doReset = async () => {
    setConfirmReset(false);
    setBusy('reset');
    setStatus('');
    try {
      const reset = await client.reset();
      show(reset);
      setStatus('Settings reset to defaults.');
      onReset?.(reset);
    } catch (error) {
      fail(error);
    } finally {
      setBusy(undefined);
    }
  };

  const set = (key: string, value: PlainValue) =>
    setValues((current) => ({ ...current, [key]: value }));

  return (
    <section className="alga-settings" aria-labelledby={headingId}>
      <h2 id={headingId} className="alga-settings-title">
        {title}
      </h2>
      {busy === 'load' ? (
        <Spinner label="Loading settings" />
      ) : view === undefined ? (
        <Alert tone="danger" title="The settings could not be loaded">
          {formErrors.join(' ')}
        </Alert>
      ) : (
        <Form className="alga-settings-form" validationBehavior="aria" onSubmit={onSubmit}>
          {plainFields.map((field) => {
            const error = fieldErrors[field.key];
            const common = {
              label: field.label,
              name: field.key,
              isRequired: field.required === true,
              errorMessage: error,
              ...(field.description ? { description: field.description } : {}),
            };
            switch (field.kind) {
              case 'text':
                return (
                  <TextField
                    key={field.key}
                    {...common}
                    multiline={field.multiline === true}
                    value={String(values[field.key] ?? '')}
                    onChange={(value) => set(field.key, value)}
                    {...(field.placeholder ? { placeholder: field.placeholder } : {})}
                  />
                );
              case 'number': {
                const value = values[field.key];
                return (
                  <NumberField
                    key={field.key}
                    {...common}
                    value={typeof value === 'number' ? value : Number.NaN}
                    onChange={(next) => set(field.key, next)}
                    {...(field.min !== undefined ? { minValue: field.min } : {})}
                    {...(field.max !== undefined ? { maxValue: field.max } : {})}
                    {...(field.step !== undefined ? { step: field.step } : {})}
                  />
                );
              }
              case 'boolean':
                return (
                  <div key={field.key} className="alga-field">
                    <Switch
                      name={field.key}
                      isSelected={values[field.key] === true}
                      onChange={(next) => set(field.key, next)}
                      {...(error ? { 'aria-describedby': `${headingId}-${field.key}-error` } : {})}
                    >
                      {field.label}
                    </Switch>
                    {field.description ? (
                      <p className="alga-field-description">{field.description}</p>
                    ) : null}
                    {error ? (
                      <p id={`${headingId}-${field.key}-error`} className="alga-field-error">
                        {error}
                      </p>
                    ) : null}
                  </div>
                );
              case 'select':
                return (
                  <Select
                    key={field.key}
                    {...common}
                    options={field.options}
                    value={
                      typeof values[field.key] === 'string' ? (values[field.key] as string) : null
                    }
                    onChange={(next) => set(field.key, next)}
                    placeholder="Choose…"
                  />
                );
              default:
                return null;
            }
          })}
          {secretFields.length > 0 ? (
            <fieldset className="alga-settings-secrets">
              <legend className="alga-settings-legend">Secrets</legend>
              <p className="alga-field-description">
                Stored encrypted and never shown again. Leave a field empty to keep its value.
              </p>
              {secretFields.map((field) => {
                const state = view.secrets[field.key] ?? {
                  set: false,
                  version: null,
                  updatedAt: null,
                };
                const statusText = state.set
                  ? `Set${state.updatedAt ? `, updated ${formatDate(state.updatedAt)}` : ''}`
                  : 'Not set';
                const clearing = clearSecrets[field.key] === true;
                return (
                  <div key={field.key} className="alga-secret" data-secret={field.key}>
                    <TextField
                      label={field.label}
                      name={field.key}
                      type="password"
                      autoComplete="new-password"
                      isRequired={field.required === true && !state.set}
                      isDisabled={clearing}
                      value={secretInputs[field.key] ?? ''}
                      onChange={(value) =>
                        setSecretInputs((current) => ({ ...current, [field.key]: value }))
                      }
                      errorMessage={fieldErrors[field.key]}
                      placeholder={
                        state.set
                          ? 'Enter a new value to replace it'
                          : (field.placeholder ?? 'Enter a value')
                      }
                      description={
                        <>
                          <Badge tone={state.set ? 'success' : 'neutral'}>{statusText}</Badge>
                          {field.description ? ` ${field.description}` : null}
                        </>
                      }
                    />
                    {state.set ? (
                      <Checkbox
                        isSelected={clearing}
                        onChange={(next) =>
                          setClearSecrets((current) => ({ ...current, [field.key]: next }))
                        }
                      >
                        Clear {field.label} on save
                      </Checkbox>
                    ) : null}
                  </div>
                );
              })}
            </fieldset>
          ) : null}
          {formErrors.length > 0 ? (
            <Alert tone="danger" title="The settings were not saved">
              <ul>
                {formErrors.map((message) => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            </Alert>
          ) : null}
          <div className="alga-settings-actions">
            <Button type="submit" isPending={busy === 'save'} isDisabled={busy !== undefined}>
              Save
            </Button>
            <Button
              variant="secondary"
              isDisabled={busy !== undefined}
              onPress={() => setConfirmReset(true)}
            >
              Reset to defaults
            </Button>
          </div>
          <p className="alga-settings-status" role="status">
            {status}
          </p>
        </Form>
      )}
      <Dialog
        title="Reset to defaults?"
        role="alertdialog"
        isOpen={confirmReset}
        onOpenChange={setConfirmReset}
      >
        {(close) => (
          <>
            <p>Every setting goes back to the extension's default and every secret is cleared.</p>
            <div className="alga-dialog-actions">
              <Button variant="secondary" onPress={close}>
                Cancel
              </Button>
              <Button variant="danger" onPress={doReset}>
                Reset
              </Button>
            </div>
          </>
        )}
      </Dialog>
    </section>
  );
}
