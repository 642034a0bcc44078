# Terraform: publishes the Vigil layer from dist/ and attaches it to a function.
#
#   layer/build.sh x86_64                 # writes dist/vigil-layer-x86_64.zip
#   terraform init && terraform apply -var function_role_arn=...
#
# -var architecture=arm64 takes dist/vigil-layer-arm64.zip (layer/build.sh arm64).

variable "architecture" {
  type    = string
  default = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture is x86_64 or arm64"
  }
}

variable "function_role_arn" {
  type = string
}

variable "vigil_mode" {
  type    = string
  default = "monitor"
}

variable "vigil_collector_url" {
  type    = string
  default = ""
}

variable "vigil_collector_token" {
  type      = string
  default   = ""
  sensitive = true
}

locals {
  layer_zip = "${path.module}/../../dist/vigil-layer-${var.architecture}.zip"
}

resource "aws_lambda_layer_version" "vigil" {
  layer_name               = "vigil-${var.architecture}"
  description              = "Vigil security extension (static)"
  filename                 = local.layer_zip
  source_code_hash         = filebase64sha256(local.layer_zip)
  compatible_architectures = [var.architecture]
  license_info             = "Apache-2.0"
}

data "archive_file" "function" {
  type        = "zip"
  output_path = "${path.module}/function.zip"
  source {
    filename = "index.mjs"
    content  = "export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event) });\n"
  }
}

resource "aws_lambda_function" "example" {
  function_name    = "vigil-example"
  role             = var.function_role_arn
  runtime          = "nodejs20.x"
  handler          = "index.handler"
  architectures    = [var.architecture]
  memory_size      = 256
  timeout          = 10
  filename         = data.archive_file.function.output_path
  source_code_hash = data.archive_file.function.output_base64sha256
  layers           = [aws_lambda_layer_version.vigil.arn]

  environment {
    variables = merge({
      AWS_LAMBDA_EXEC_WRAPPER = "/opt/vigil-wrapper"
      VIGIL_MODE              = var.vigil_mode
      VIGIL_FAIL              = "open"
      VIGIL_LOG_LEVEL         = "info"
      }, var.vigil_collector_url == "" ? {} : {
      VIGIL_COLLECTOR_URL   = var.vigil_collector_url
      VIGIL_COLLECTOR_TOKEN = var.vigil_collector_token
    })
  }
}

output "vigil_layer_arn" {
  value = aws_lambda_layer_version.vigil.arn
}
