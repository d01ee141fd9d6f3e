import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Ports of the test edge: nginx's proxy listener and its stub_status listener. */
export interface EdgePorts {
  proxy: number;
  status: number;
  v1: number;
  v2: number;
}

/**
 * Writes a minimal nginx.conf into `dir`: a proxy that routes `X-Experiment-Group: debug` to the
 * v2 replica and everything else to v1 (as the real edge does), and stub_status for the exporter.
 * All paths (pid, logs, temp files) stay inside `dir`, so nothing of the system nginx is touched.
 */
export function writeNginxConfig(dir: string, ports: EdgePorts): string {
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(join(dir, sub), { recursive: true });
  const conf = `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream api_v1 { server 127.0.0.1:${ports.v1}; }
  upstream api_v2 { server 127.0.0.1:${ports.v2}; }
  map $http_x_experiment_group $api_pool { debug api_v2; default api_v1; }
  server {
    listen 127.0.0.1:${ports.proxy};
    location / {
      proxy_pass http://$api_pool;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
  server {
    listen 127.0.0.1:${ports.status};
    location = /stub_status { stub_status; }
  }
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  return file;
}
