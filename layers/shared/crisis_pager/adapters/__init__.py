"""The only code importing boto3, PynamoDB and Twilio."""
