// Synthetic packages for the benchmark: N Deployments and N Services, half of the Deployments
// labelled for the WAF, with comments, as a kpt/kustomize-style ResourceList or as plain YAML.

export const config = {
  apiVersion: 'inject-sidecar.dev/v1alpha1',
  kind: 'SidecarInjection',
  metadata: { name: 'waf' },
  spec: {
    selector: { matchLabels: { waf: 'enabled' } },
    container: { name: 'waf', image: 'wallarm/node:4.10', resources: { requests: { cpu: '100m', memory: '256Mi' } } },
    ports: [{ appPort: 'http', listenPort: 8443, name: 'waf-http' }],
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

export function documents(n) {
  const docs = [];
  for (let i = 0; i < n; i++) docs.push(deployment(i), service(i));
  return docs;
}

const indentItem = (doc) => `- ${doc.trimEnd().replace(/\n/g, '\n  ')}\n`;

export function resourceList(n, withConfig = true) {
  const fc = JSON.stringify(config);
  return `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${documents(n).map(indentItem).join('')}${withConfig ? `functionConfig: ${fc}\n` : ''}`;
}

export const emptyResourceList = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: ${JSON.stringify(config)}\n`;

export function plainStream(n) {
  return documents(n).join('---\n');
}
