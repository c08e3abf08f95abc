<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\HasMany;

class Tenant extends Model
{
    protected $fillable = ['name', 'slug', 'plan'];

    public function webhooks(): HasMany
    {
        return $this->hasMany(Webhook::class);
    }
}
