-- Argo CD health of a NotebookValidationJob (mlops.mlops.dev/v1alpha1).
-- Succeeded -> Healthy, Failed -> Degraded, anything else (or no status yet) -> Progressing.
-- Argo CD runs argocd-cm overrides WITHOUT the string, math and io libraries: build messages
-- with `..`, `tostring` and `table.concat` only, and never concatenate a nil.

-- A printable value: non-empty strings as they are, numbers and booleans via tostring, else nil.
local function text(value)
  local kind = type(value)
  if kind == "string" then
    if value == "" then
      return nil
    end
    return value
  end
  if kind == "number" or kind == "boolean" then
    return tostring(value)
  end
  return nil
end

-- The message (or reason) of the most recently transitioned condition; on ties the later entry.
local function newest_condition(conditions)
  if type(conditions) ~= "table" then
    return nil
  end
  local best, best_time = nil, ""
  for _, condition in ipairs(conditions) do
    if type(condition) == "table" then
      local message = text(condition.message) or text(condition.reason)
      local when = text(condition.lastTransitionTime) or ""
      if message ~= nil and (best == nil or when >= best_time) then
        best, best_time = message, when
      end
    end
  end
  return best
end

-- retryCount as text when it is a positive number, else nil (0 and absent mean "no retry").
local function retry_count(status)
  local count = tonumber(status.retryCount)
  if count == nil or count <= 0 then
    return nil
  end
  return tostring(count)
end

local function after_retries(status)
  local count = retry_count(status)
  if count == nil then
    return nil
  end
  if count == "1" then
    return "after 1 retry"
  end
  return "after " .. count .. " retries"
end

-- "title: detail (a; b)" with every part optional except the title.
local function compose(title, detail, extras)
  local message = title
  if detail ~= nil then
    message = message .. ": " .. detail
  end
  if #extras > 0 then
    message = message .. " (" .. table.concat(extras, "; ") .. ")"
  end
  return message
end

local function add(list, prefix, value)
  if value ~= nil then
    list[#list + 1] = prefix .. value
  end
end

local hs = {}
local status = obj.status
if type(status) ~= "table" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to start the notebook validation"
  return hs
end

local phase = text(status.phase)
local detail = text(status.message) or newest_condition(status.conditions)
local build = status.buildStatus
if type(build) ~= "table" then
  build = {}
end
local extras = {}

if phase == "Succeeded" then
  hs.status = "Healthy"
  local title = "Notebook validation succeeded"
  if text(status.completionTime) ~= nil then
    title = title .. " at " .. text(status.completionTime)
  end
  add(extras, "", after_retries(status))
  hs.message = compose(title, nil, extras)
elseif phase == "Failed" then
  hs.status = "Degraded"
  local title = "Notebook validation failed"
  if text(status.completionTime) ~= nil then
    title = title .. " at " .. text(status.completionTime)
  end
  -- A failed image build: the Go operator moves the job to Failed without a message, then its next
  -- reconcile writes "Unknown phase: Failed". The build's own message (already "Build failed: ...") is
  -- the cause, whatever status.message says.
  if text(build.phase) == "Failed" then
    if text(build.message) ~= nil then
      detail = text(build.message)
    elseif detail ~= nil then
      detail = "image build failed; " .. detail
    else
      detail = "image build failed"
    end
  end
  add(extras, "", after_retries(status))
  add(extras, "pod ", text(status.validationPodName))
  hs.message = compose(title, detail, extras)
else
  hs.status = "Progressing"
  local title
  if phase == nil then
    title = "Waiting for the operator to report a phase"
  elseif phase == "Initializing" then
    title = "Initializing notebook validation"
  elseif phase == "Pending" then
    title = "Notebook validation pending"
  elseif phase == "Building" then
    title = "Building the validation image"
    add(extras, "build ", text(build.buildName))
    add(extras, "build phase ", text(build.phase))
  elseif phase == "BuildComplete" then
    title = "Validation image built, starting the validation pod"
    add(extras, "image ", text(build.imageReference))
  elseif phase == "ValidationRunning" or phase == "Running" then
    title = "Validating notebook"
    add(extras, "pod ", text(status.validationPodName))
    add(extras, "started ", text(status.startTime))
  else
    title = "Notebook validation in phase " .. phase
  end
  add(extras, "retry ", retry_count(status))
  hs.message = compose(title, detail, extras)
end
return hs
