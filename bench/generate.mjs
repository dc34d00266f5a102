// Synthetic packages for the benchmark: N apps, each a Deployment and its Service, and (for the
// large list) its NetworkPolicy and HorizontalPodAutoscaler; half of the apps labelled for the
// WAF; with comments; as a kpt/kustomize-style ResourceList or as plain YAML.

export const config = {
  apiVersion: 'inject-sidecar.dev/v1alpha1',
  kind: 'SidecarInjection',
  metadata: { name: 'waf' },
  spec: {
    selector: { matchLabels: { waf: 'enabled' } },
    container: { name: 'waf', image: 'wallarm/node:4.10', resources: { requests: { cpu: '100m', memory: '256Mi' } } },
    ports: [{ appPort: 'http', listenPort: 8443, name: 'waf-http' }],
    networkPolicies: 'follow',
  },
};

function deployment(i) {
  return `# Deployment for app ${i}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i} # the app
  namespace: shop
  labels:
    app: app-${i}
    waf: ${i % 2 === 0 ? 'enabled' : 'disabled'}
  annotations:
    config.kubernetes.io/index: '0'
    internal.config.kubernetes.io/path: 'app-${i}.yaml'
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-${i}
  template:
    metadata:
      labels:
        app: app-${i}
    spec:
      containers:
      - name: app
        image: "ghcr.io/example/app-${i}:1.0.${i}"
        args: ["--port", "8080", "--mode", "on"]
        ports:
        - name: http
          containerPort: 8080
        readinessProbe:
          httpGet: {path: /healthz, port: http}
        resources:
          limits: {cpu: 500m, memory: 128Mi}
`;
}

function service(i) {
  return `# Service for app ${i}
apiVersion: v1
kind: Service
metadata:
  name: app-${i}
  namespace: shop
  labels:
    app: app-${i}
    waf: ${i % 2 === 0 ? 'enabled' : 'disabled'}
  annotations:
    config.kubernetes.io/index: '1'
    internal.config.kubernetes.io/path: 'app-${i}.yaml'
spec:
  selector:
    app: app-${i}
  ports:
  - name: http
    port: 80
    targetPort: http
`;
}

function networkPolicy(i) {
  return `# Who may reach app ${i}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: app-${i}
  namespace: shop
  annotations:
    config.kubernetes.io/index: '2'
    internal.config.kubernetes.io/path: 'app-${i}.yaml'
spec:
  podSelector:
    matchLabels:
      app: app-${i}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: ingress
    ports:
    - port: 8080
      protocol: TCP
`;
}

function autoscaler(i) {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: app-${i}
  namespace: shop
  annotations:
    config.kubernetes.io/index: '3'
    internal.config.kubernetes.io/path: 'app-${i}.yaml'
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: app-${i}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70
`;
}

/** N apps: each a Deployment and a Service, and with `policies` its NetworkPolicy and HPA too. */
export function documents(n, { policies = false } = {}) {
  const docs = [];
  for (let i = 0; i < n; i++) {
    docs.push(deployment(i), service(i));
    if (policies) docs.push(networkPolicy(i), autoscaler(i));
  }
  return docs;
}

const indentItem = (doc) => `- ${doc.trimEnd().replace(/\n/g, '\n  ')}\n`;

/** The config as a functionConfig, in block style as kustomize and kpt write it. */
const functionConfig = `functionConfig:
  apiVersion: ${config.apiVersion}
  kind: ${config.kind}
  metadata:
    name: waf
  spec:
    selector:
      matchLabels:
        waf: enabled
    container:
      name: waf
      image: wallarm/node:4.10
      resources:
        requests:
          cpu: 100m
          memory: 256Mi
    ports:
    - appPort: http
      listenPort: 8443
      name: waf-http
    networkPolicies: follow
`;

export function resourceList(n, options) {
  return `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${documents(n, options).map(indentItem).join('')}${functionConfig}`;
}

export const emptyResourceList = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n${functionConfig}`;

export function plainStream(n, options) {
  return documents(n, options).join('---\n');
}
