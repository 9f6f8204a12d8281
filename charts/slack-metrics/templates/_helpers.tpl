{{/*
Expand the name of the chart.
*/}}
{{- define "slack-metrics.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name. Truncated at 63 chars because some Kubernetes name
fields are limited to this (by the DNS naming spec). A release whose name already contains the
chart name is used as is, so release `slack-metrics` yields `slack-metrics-api` and not
`slack-metrics-slack-metrics-api` (the names DESIGN.md documents).
*/}}
{{- define "slack-metrics.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "slack-metrics.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "slack-metrics.labels" -}}
helm.sh/chart: {{ include "slack-metrics.chart" . }}
{{ include "slack-metrics.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: slack-metrics
{{- end }}

{{/*
Selector labels.
*/}}
{{- define "slack-metrics.selectorLabels" -}}
app.kubernetes.io/name: {{ include "slack-metrics.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels and selector labels of one component. Call with (dict "ctx" $ "component" "api").
*/}}
{{- define "slack-metrics.componentLabels" -}}
{{ include "slack-metrics.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "slack-metrics.componentSelectorLabels" -}}
{{ include "slack-metrics.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Components whose pods talk to PostgreSQL; the NetworkPolicy admits exactly these.
*/}}
{{- define "slack-metrics.dbClientComponents" -}}
{{- list "api" "migration" "aggregate" "collect" "backup" | toJson }}
{{- end }}

{{/*
Name of the service account to use.
*/}}
{{- define "slack-metrics.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "slack-metrics.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Application image reference; the tag defaults to the chart's appVersion.
*/}}
{{- define "slack-metrics.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}

{{/*
Secret holding the DB password, API tokens and Slack credentials: the chart's own
`<fullname>-postgres-secret`, or the operator's `secrets.existingSecret`.
*/}}
{{- define "slack-metrics.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- printf "%s-postgres-secret" (include "slack-metrics.fullname" .) }}
{{- end }}
{{- end }}

{{/*
"true" when the collect CronJob is scheduled: it is enabled and there is a Slack bot token, given
in values, kept in the chart's live Secret from an earlier release, or expected in
`secrets.existingSecret` (which the chart does not read). Without a token every run would fail.
*/}}
{{- define "slack-metrics.collectScheduled" -}}
{{- if .Values.cronjobs.collect.enabled }}
{{- if or .Values.secrets.slackBotToken .Values.secrets.existingSecret }}true
{{- else }}
{{- if include "slack-metrics.secrets.lookup" (dict "key" .Values.secrets.keys.slackBotToken "context" .) }}true{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
One key of the chart's Secret as the cluster holds it (base64, as in `data`): empty on first
install, under `helm template` and in dry runs, where lookup sees no cluster.
Call with (dict "key" "api-tokens" "context" $).
*/}}
{{- define "slack-metrics.secrets.lookup" -}}
{{- $live := lookup "v1" "Secret" .context.Release.Namespace (include "slack-metrics.secretName" .context) | default dict }}
{{- get (get $live "data" | default dict) .key }}
{{- end }}

{{/*
One value of the chart's Secret, base64-encoded, kept across upgrades: the one given in values,
else the one the live Secret already holds, else `length` new random characters (nothing when
`length` is 0: a credential only its owner can issue, such as the Slack bot token).
Call with (dict "given" .Values.secrets.apiTokens "key" .Values.secrets.keys.apiTokens "length" 40 "context" $).
*/}}
{{- define "slack-metrics.secrets.manage" -}}
{{- if .given }}
{{- .given | toString | b64enc }}
{{- else }}
{{- $live := include "slack-metrics.secrets.lookup" (dict "key" .key "context" .context) }}
{{- if $live }}
{{- $live }}
{{- else if .length }}
{{- randAlphaNum (int .length) | b64enc }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Where the DB password comes from: an external database may bring its own Secret
(externalDatabase.existingSecret); otherwise it is the `db-password` key of the main Secret.
*/}}
{{- define "slack-metrics.dbPasswordSecretName" -}}
{{- if and (not .Values.postgresql.enabled) .Values.externalDatabase.existingSecret }}
{{- .Values.externalDatabase.existingSecret }}
{{- else }}
{{- include "slack-metrics.secretName" . }}
{{- end }}
{{- end }}

{{- define "slack-metrics.dbPasswordSecretKey" -}}
{{- if and (not .Values.postgresql.enabled) .Values.externalDatabase.existingSecret }}
{{- .Values.externalDatabase.existingSecretPasswordKey }}
{{- else }}
{{- .Values.secrets.keys.dbPassword }}
{{- end }}
{{- end }}

{{/*
Database coordinates. The in-chart server is addressed through its headless Service's stable
per-pod name (`<fullname>-postgres-0.<fullname>-postgres-headless`).
*/}}
{{- define "slack-metrics.dbHost" -}}
{{- if .Values.postgresql.enabled }}
{{- $fullname := include "slack-metrics.fullname" . }}
{{- printf "%s-postgres-0.%s-postgres-headless.%s.svc" $fullname $fullname .Release.Namespace }}
{{- else }}
{{- required "externalDatabase.host is required when postgresql.enabled is false" .Values.externalDatabase.host }}
{{- end }}
{{- end }}

{{- define "slack-metrics.dbPort" -}}
{{- if .Values.postgresql.enabled }}{{ 5432 }}{{ else }}{{ .Values.externalDatabase.port }}{{ end }}
{{- end }}

{{- define "slack-metrics.dbUser" -}}
{{- if .Values.postgresql.enabled }}{{ .Values.postgresql.auth.username }}{{ else }}{{ required "externalDatabase.user is required when postgresql.enabled is false" .Values.externalDatabase.user }}{{ end }}
{{- end }}

{{- define "slack-metrics.dbName" -}}
{{- if .Values.postgresql.enabled }}{{ .Values.postgresql.auth.database }}{{ else }}{{ required "externalDatabase.database is required when postgresql.enabled is false" .Values.externalDatabase.database }}{{ end }}
{{- end }}

{{- define "slack-metrics.dbSsl" -}}
{{- if .Values.postgresql.enabled }}false{{ else }}{{ .Values.externalDatabase.ssl }}{{ end }}
{{- end }}

{{/*
Secret environment of every app container (api, migration, CronJobs). Values come only from the
Secret (secretKeyRef), never from the ConfigMap. SLACK_BOT_TOKEN is optional: without it the
API still serves and `collect` reports that no token is configured.
*/}}
{{- define "slack-metrics.secretEnv" -}}
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "slack-metrics.dbPasswordSecretName" . }}
      key: {{ include "slack-metrics.dbPasswordSecretKey" . }}
- name: API_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ include "slack-metrics.secretName" . }}
      key: {{ .Values.secrets.keys.apiTokens }}
- name: API_ADMIN_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ include "slack-metrics.secretName" . }}
      key: {{ .Values.secrets.keys.apiAdminTokens }}
- name: SLACK_SIGNING_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "slack-metrics.secretName" . }}
      key: {{ .Values.secrets.keys.slackSigningSecret }}
- name: SLACK_BOT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "slack-metrics.secretName" . }}
      key: {{ .Values.secrets.keys.slackBotToken }}
      optional: true
{{- end }}

{{/*
Environment shared by every app container: non-secret settings from the ConfigMap, secrets
from the Secret, then the operator's extraEnv.
*/}}
{{- define "slack-metrics.appEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "slack-metrics.fullname" . }}-config
env:
  {{- include "slack-metrics.secretEnv" . | nindent 2 }}
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/*
Pod-level security context of app pods (restricted Pod Security Standard).
*/}}
{{- define "slack-metrics.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
fsGroup: {{ .Values.podSecurityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Pod-level settings shared by the chart's own pods: the service account, whose token is not
mounted (no pod talks to the Kubernetes API), the pull secrets of the pod's image, and the
restricted security context. Call with (dict "ctx" $ "pullSecrets" .Values.imagePullSecrets).
*/}}
{{- define "slack-metrics.podDefaults" -}}
serviceAccountName: {{ include "slack-metrics.serviceAccountName" .ctx }}
automountServiceAccountToken: false
{{- with .pullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- include "slack-metrics.podSecurityContext" .ctx | nindent 2 }}
{{- end }}

{{/*
The writable /tmp of a container under a read-only root filesystem: the mount, and the emptyDir
volume behind it, called with its size limit.
*/}}
{{- define "slack-metrics.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "slack-metrics.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ . }}
{{- end }}

{{/*
Checks of the values that values.schema.json cannot express (they relate two values). Every
problem is collected and the render fails once, listing them all.
*/}}
{{- define "slack-metrics.validateValues" -}}
{{- $problems := list }}
{{- if ge (int .Values.api.drainSeconds) (int .Values.api.terminationGracePeriodSeconds) }}
{{- $problems = append $problems "api.terminationGracePeriodSeconds must be greater than api.drainSeconds, or pods are killed while draining" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- $problems = append $problems "autoscaling.minReplicas must not be greater than autoscaling.maxReplicas" }}
{{- end }}
{{- $minAvailable := .Values.podDisruptionBudget.minAvailable }}
{{- if and .Values.podDisruptionBudget.enabled (not (kindIs "string" $minAvailable)) }}
{{- $replicas := ternary .Values.autoscaling.minReplicas .Values.api.replicaCount .Values.autoscaling.enabled }}
{{- if ge (int $minAvailable) (int $replicas) }}
{{- $problems = append $problems (printf "podDisruptionBudget.minAvailable (%d) must be less than the API's replicas (%d), or no node can ever be drained" (int $minAvailable) (int $replicas)) }}
{{- end }}
{{- end }}
{{- if $problems }}
{{- fail (printf "\n\ninvalid values:\n- %s" (join "\n- " $problems)) }}
{{- end }}
{{- end }}

{{/*
Container-level security context of every container the chart runs (restricted profile).
*/}}
{{- define "slack-metrics.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Container that blocks until the database accepts TCP connections. It uses the app image's node,
so no extra image is pulled, and it gives up when the Job's activeDeadlineSeconds runs out.
*/}}
{{- define "slack-metrics.waitForDbContainer" -}}
- name: wait-for-db
  image: {{ include "slack-metrics.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command:
    - node
    - -e
    - |
      const net = require('net');
      const host = process.env.DB_HOST, port = Number(process.env.DB_PORT || 5432);
      const attempt = () => {
        const s = net.connect({ host, port, timeout: 3000 }, () => {
          console.log(`database ${host}:${port} accepts connections`);
          s.end();
          process.exit(0);
        });
        const retry = (why) => { s.destroy(); console.log(`waiting for ${host}:${port}: ${why}`); setTimeout(attempt, 2000); };
        s.on('error', (e) => retry(e.code || e.message));
        s.on('timeout', () => retry('timeout'));
      };
      attempt();
  envFrom:
    - configMapRef:
        name: {{ include "slack-metrics.fullname" . }}-config
  securityContext:
    {{- include "slack-metrics.containerSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.waitForDb.resources | nindent 4 }}
{{- end }}
