# One image for every Node process of the platform: the four services and the
# two product areas. docker-compose.yml picks the process with its command, for
# example `node -r @swc-node/register apps/request-intake/src/main.ts`.
#
# The processes run the TypeScript sources through @swc-node/register, which
# reads tsconfig.json (including its `paths`) from the working directory.
# @swc-node/register is a dev dependency, so `npm ci` installs dev dependencies too.
FROM node:20-bookworm-slim

WORKDIR /app

# Installed before the sources are copied, so a source change reuses this layer.
# SCARF_ANALYTICS=false stops the install report of @scarf/scarf (a dependency of swagger-ui-dist).
COPY package.json package-lock.json ./
RUN SCARF_ANALYTICS=false npm ci --no-audit --no-fund \
  && npm cache clean --force

COPY tsconfig.json tsconfig.base.json ./
COPY libs ./libs
COPY apps ./apps
COPY scripts ./scripts

# The processes write nothing under /app. @swc-node/register keeps its transform cache in /tmp.
USER node

CMD ["node", "-r", "@swc-node/register", "apps/request-intake/src/main.ts"]
