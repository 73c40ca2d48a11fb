{{/*
Names, labels and images shared by every template. Object names follow upstream HAMi's chart:
with release "hami" the scheduler objects are "hami-scheduler", the ConfigMaps "hami-scheduler",
"hami-scheduler-device" and "hami-device-plugin".
*/}}

{{- define "hami.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hami.fullname" -}}
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

{{- define "hami.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hami.scheduler" -}}
{{- printf "%s-scheduler" (include "hami.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hami.scheduler.tls" -}}
{{- printf "%s-scheduler-tls" (include "hami.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hami.scheduler.extenderClient" -}}
{{- printf "%s-scheduler-extender-client" (include "hami.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hami.scheduler.webhook" -}}
{{- printf "%s-webhook" (include "hami.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hami.device-plugin" -}}
{{- printf "%s-device-plugin" (include "hami.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hami.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hami.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hami.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hami.labels" -}}
helm.sh/chart: {{ include "hami.chart" . }}
{{ include "hami.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.global.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Metadata annotations from global.annotations (empty when none). */}}
{{- define "hami.annotations" -}}
{{- with .Values.global.annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
hami.image: "<registry>/<repository>:<tag>" from an image block (dict "image" X "root" $ "defaultTag" T).
global.imageRegistry overrides the block's registry; an empty tag falls back to defaultTag, then to
global.imageTag, then to the chart's appVersion.
*/}}
{{- define "hami.image" -}}
{{- $image := .image }}
{{- $registry := default $image.registry .root.Values.global.imageRegistry }}
{{- $tag := $image.tag | default .defaultTag | default .root.Values.global.imageTag | default .root.Chart.AppVersion }}
{{- if $registry }}
{{- printf "%s/%s:%s" $registry $image.repository (toString $tag) }}
{{- else }}
{{- printf "%s:%s" $image.repository (toString $tag) }}
{{- end }}
{{- end }}

{{/* imagePullSecrets from global.imagePullSecrets plus the given image blocks' pullSecrets. */}}
{{- define "hami.imagePullSecrets" -}}
{{- $secrets := list }}
{{- $all := concat (.root.Values.global.imagePullSecrets | default list) }}
{{- range .images }}
{{- $all = concat $all (.pullSecrets | default list) }}
{{- end }}
{{- range $all }}
{{- if kindIs "string" . }}
{{- $secrets = append $secrets (dict "name" .) }}
{{- else }}
{{- $secrets = append $secrets (dict "name" .name) }}
{{- end }}
{{- end }}
{{- if $secrets }}
imagePullSecrets:
{{- toYaml (uniq $secrets) | nindent 2 }}
{{- end }}
{{- end }}

{{/* The kube-scheduler image tag: the value, else the cluster's version (kube-scheduler must match it). */}}
{{- define "hami.kubeScheduler.tag" -}}
{{- .Values.scheduler.kubeScheduler.image.tag | default (regexFind "^v[0-9]+\\.[0-9]+\\.[0-9]+" .Capabilities.KubeVersion.Version) }}
{{- end }}

{{/* Port number from an address such as ":9395" or "0.0.0.0:9395". */}}
{{- define "hami.portOf" -}}
{{- last (splitList ":" (toString .)) | int }}
{{- end }}

{{/* True ("true") when several scheduler replicas run behind leader election. */}}
{{- define "hami.scheduler.ha" -}}
{{- if and .Values.scheduler.leaderElect (gt (int .Values.scheduler.replicas) 1) }}true{{ end }}
{{- end }}

{{/* --node-label-selector value "k=v,k2=v2" from scheduler.nodeLabelSelector (sorted keys). */}}
{{- define "hami.nodeLabelSelector" -}}
{{- $pairs := list }}
{{- range $k, $v := .Values.scheduler.nodeLabelSelector }}
{{- $pairs = append $pairs (printf "%s=%s" $k (toString $v)) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/* --protected-host-paths value: the driver's device nodes, the device plugin's directory under
global.gpuHookPath (shared regions, libvgpu.so, ld.so.preload) and
scheduler.admissionWebhook.isolation.extraProtectedHostPaths. */}}
{{- define "hami.protectedHostPaths" -}}
{{- $paths := list "/dev/nvidia*" (printf "%s/vgpu" (trimSuffix "/" (toString .Values.global.gpuHookPath))) }}
{{- range .Values.scheduler.admissionWebhook.isolation.extraProtectedHostPaths }}
{{- $paths = append $paths (toString .) }}
{{- end }}
{{- join "," $paths }}
{{- end }}

{{/* The resource names HAMi manages (kube-scheduler ignores them; the extender accounts for them):
NVIDIA's, Cambricon's, Hygon's and MetaX's from their values, AMD's and AWS Neuron's always, every
other vendor's customresources when it is enabled. */}}
{{- define "hami.managedResources" -}}
{{- $v := .Values }}
{{- $r := list $v.resourceName $v.resourceMem $v.resourceCores $v.resourceMemPercentage $v.resourcePriority }}
{{- $r = concat $r (list $v.mluResourceName $v.mluResourceMem $v.mluResourceCores) }}
{{- $r = concat $r (list $v.dcuResourceName $v.dcuResourceMem $v.dcuResourceCores) }}
{{- $r = concat $r (list "metax-tech.com/gpu" $v.metaxResourceName $v.metaxResourceCore $v.metaxResourceMem) }}
{{- $r = concat $r $v.devices.amd.customresources $v.devices.awsneuron.customresources }}
{{- range $name := list "kunlun" "enflame" "mthreads" "vastai" "biren" "ascend" "iluvatar" }}
{{- $d := index $v.devices $name }}
{{- if $d.enabled }}{{ $r = concat $r $d.customresources }}{{ end }}
{{- end }}
{{- toYaml (uniq (compact $r)) }}
{{- end }}

{{/* Huawei Ascend chips of the vnpus block: upstream's chart list (memory in MiB). */}}
{{- define "hami.ascendChips" -}}
- {chipName: 910A, commonWord: Ascend910A, memoryAllocatable: 32768, memoryCapacity: 32768, aiCore: 30,
   templates: [{name: vir02, memory: 2184, aiCore: 2}, {name: vir04, memory: 4369, aiCore: 4},
               {name: vir08, memory: 8738, aiCore: 8}, {name: vir16, memory: 17476, aiCore: 16}]}
- {chipName: 910B2, commonWord: Ascend910B2, memoryAllocatable: 65536, memoryCapacity: 65536, aiCore: 24, aiCPU: 6,
   templates: [{name: vir03_1c_8g, memory: 8192, aiCore: 3, aiCPU: 1},
               {name: vir06_1c_16g, memory: 16384, aiCore: 6, aiCPU: 1},
               {name: vir12_3c_32g, memory: 32768, aiCore: 12, aiCPU: 3}]}
- {chipName: 910B3, commonWord: Ascend910B3, memoryAllocatable: 65536, memoryCapacity: 65536, aiCore: 20, aiCPU: 7,
   templates: [{name: vir05_1c_16g, memory: 16384, aiCore: 5, aiCPU: 1},
               {name: vir10_3c_32g, memory: 32768, aiCore: 10, aiCPU: 3}]}
- {chipName: 910B4-1, commonWord: Ascend910B4-1, memoryAllocatable: 65536, memoryCapacity: 65536, aiCore: 20, aiCPU: 7,
   templates: [{name: vir05_1c_16g, memory: 16384, aiCore: 5, aiCPU: 1},
               {name: vir10_3c_32g, memory: 32768, aiCore: 10, aiCPU: 3}]}
- {chipName: 910B4, commonWord: Ascend910B4, memoryAllocatable: 32768, memoryCapacity: 32768, aiCore: 20, aiCPU: 7,
   templates: [{name: vir05_1c_8g, memory: 8192, aiCore: 5, aiCPU: 1},
               {name: vir10_3c_16g, memory: 16384, aiCore: 10, aiCPU: 3}]}
- {chipName: 310P3, commonWord: Ascend310P, memoryAllocatable: 21527, memoryCapacity: 24576, aiCore: 8, aiCPU: 7,
   templates: [{name: vir01, memory: 3072, aiCore: 1, aiCPU: 1}, {name: vir02, memory: 6144, aiCore: 2, aiCPU: 2},
               {name: vir04, memory: 12288, aiCore: 4, aiCPU: 4}]}
- {chipName: Ascend910, commonWord: Ascend910C, memoryAllocatable: 65536, memoryCapacity: 65536, aiCore: 20, aiCPU: 7,
   superPod: true,
   templates: [{name: vir05_1c_16g, memory: 16384, aiCore: 5, aiCPU: 1},
               {name: vir10_3c_32g, memory: 32768, aiCore: 10, aiCPU: 3}]}
{{- end }}
